package io.reloc.core.plugin;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The implementations of one kind (front ends, stores, …) that the loaded plugins contribute, by
 * name. Lookups of unknown names fail with a message that lists what exists.
 */
public final class Named<T> {
    private final String kind;
    private final Map<String, T> byName;

    Named(String kind, Map<String, T> byName) {
        this.kind = requireNonNull(kind, "kind is null");
        this.byName = new TreeMap<>(byName);
    }

    /** @throws PluginException if no plugin contributes {@code name} */
    public T get(String name) {
        requireNonNull(name, "name is null");
        T found = byName.get(name);
        if (found == null) {
            throw new PluginException("unknown " + kind + " '" + name + "'; available: "
                    + (byName.isEmpty() ? "none (is the plugin jar on the class path?)" : String.join(", ", byName.keySet())));
        }
        return found;
    }

    public Optional<T> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** Names in alphabetical order. */
    public java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(byName.keySet());
    }
}
