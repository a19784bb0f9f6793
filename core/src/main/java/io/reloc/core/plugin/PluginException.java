package io.reloc.core.plugin;

/** Plugins could not be loaded, or configuration names an implementation no plugin provides. */
public class PluginException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PluginException(String message) {
        super(message);
    }

    public PluginException(String message, Throwable cause) {
        super(message, cause);
    }
}
