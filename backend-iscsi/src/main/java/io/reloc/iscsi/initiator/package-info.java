/**
 * The iSCSI initiator that reads a relocation's source from a foreign target: login with
 * optional CHAP, READ CAPACITY, pipelined READ(16) on one session within the target's CmdSN
 * window, strict Data-In reassembly, GET LBA STATUS for extents, NOP-In answers and logout.
 */
package io.reloc.iscsi.initiator;
