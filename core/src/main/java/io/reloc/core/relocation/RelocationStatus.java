package io.reloc.core.relocation;

/**
 * A moment's view of a relocation, for the control plane and progress displays.
 *
 * @param state where the relocation stands
 * @param trigger what activated it
 * @param blockCount blocks in the disk
 * @param presentBlocks blocks already local
 * @param demandFetches blocks fetched because a client needed them
 * @param backgroundFetches blocks fetched by the background copier
 * @param zeroBlocks blocks the source reported as zero, made present without a transfer
 */
public record RelocationStatus(RelocationState state, ActivationTrigger trigger, long blockCount, long presentBlocks,
                               long demandFetches, long backgroundFetches, long zeroBlocks) {

    public double fractionPresent() {
        return blockCount == 0 ? 1.0 : (double) presentBlocks / blockCount;
    }
}
