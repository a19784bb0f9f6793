package io.reloc.iscsi.initiator;

/**
 * What a login settled: the limits to respect and the sequence numbers to go on with.
 *
 * @param targetMaxRecvDataSegmentLength longest data segment the target accepts
 * @param maxBurstLength the negotiated MaxBurstLength
 * @param cmdSn CmdSN of the first command of the full feature phase
 * @param expStatSn the next StatSN expected from the target
 * @param maxCmdSn the target's MaxCmdSN from the last login response
 */
record Negotiated(int targetMaxRecvDataSegmentLength, int maxBurstLength, int cmdSn, int expStatSn, int maxCmdSn) {}
