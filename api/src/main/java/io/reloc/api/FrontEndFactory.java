package io.reloc.api;

/** Creates front ends of one protocol; contributed by a plugin under {@link #name()}. */
public interface FrontEndFactory {

    /** The protocol's name as configuration spells it, e.g. {@code "nbd"}. */
    String name();

    /**
     * Creates an unstarted front end.
     *
     * @throws IllegalArgumentException on an option it does not know or cannot parse
     */
    FrontEnd create(FrontEndConfig config, ExportCatalog exports);
}
