/**
 * The iSCSI target: {@link io.reloc.iscsi.target.IscsiTarget} accepts connections,
 * {@link io.reloc.iscsi.target.Login} runs the login phase (CHAP, negotiation) as a pure state
 * machine, and each connection runs the full feature phase: CmdSN window, immediate, unsolicited
 * and R2T-solicited data, Data-In splitting, NOP, task management, text (SendTargets) and logout.
 * One connection per session, ErrorRecoveryLevel 0: a protocol error closes the connection and
 * affects no other.
 */
package io.reloc.iscsi.target;
