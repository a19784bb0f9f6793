package io.reloc.core.export;

import io.reloc.api.Export;
import io.reloc.api.ExportCatalog;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** A thread-safe, mutable {@link ExportCatalog}: exports may be added and removed while serving. */
public final class ExportRegistry implements ExportCatalog {
    private final Map<String, Export> exports = new LinkedHashMap<>();

    /** @throws IllegalArgumentException if an export of that name exists already */
    public synchronized void add(Export export) {
        requireNonNull(export, "export is null");
        if (exports.putIfAbsent(export.name(), export) != null) {
            throw new IllegalArgumentException("export '" + export.name() + "' is defined twice");
        }
    }

    public synchronized Optional<Export> remove(String name) {
        return Optional.ofNullable(exports.remove(name));
    }

    @Override
    public synchronized Optional<Export> find(String name) {
        return Optional.ofNullable(exports.get(name));
    }

    @Override
    public synchronized List<Export> list() {
        return List.copyOf(new ArrayList<>(exports.values()));
    }
}
