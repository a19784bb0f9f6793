package io.reloc.core.plugin;

import com.google.inject.Binding;
import com.google.inject.Module;
import com.google.inject.multibindings.MapBinderBinding;
import com.google.inject.multibindings.MultibinderBinding;
import com.google.inject.multibindings.MultibindingsTargetVisitor;
import com.google.inject.multibindings.OptionalBinderBinding;
import com.google.inject.spi.DefaultBindingTargetVisitor;
import com.google.inject.spi.Element;
import com.google.inject.spi.Elements;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds which plugins contribute the same name, so that a duplicate is reported as "two plugins
 * contribute store 'file': A and B" rather than as Guice's "Duplicate key found in Map". Works on
 * each plugin's recorded bindings ({@link Elements}), without creating an injector.
 */
final class DuplicateNames {
    private DuplicateNames() {}

    /**
     * @param kinds the kind name ("store", "codec", …) of each contributed interface
     * @return one sentence per duplicate name, empty when there is none
     */
    static List<String> find(List<? extends RelocPlugin> plugins, Map<Class<?>, String> kinds) {
        // kind -> name -> class names of the plugins contributing it, once per contribution
        Map<String, Map<Object, List<String>>> contributors = new LinkedHashMap<>();
        for (RelocPlugin plugin : plugins) {
            String pluginName = plugin.getClass().getName();
            for (Contribution contribution : contributions(plugin, kinds)) {
                contributors.computeIfAbsent(contribution.kind(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(contribution.name(), n -> new ArrayList<>())
                        .add(pluginName);
            }
        }
        List<String> duplicates = new ArrayList<>();
        contributors.forEach((kind, byName) -> byName.forEach((name, pluginNames) -> {
            if (pluginNames.size() < 2) {
                return;
            }
            if (pluginNames.stream().distinct().count() == 1) {
                duplicates.add("plugin " + pluginNames.getFirst() + " contributes " + kind + " '" + name + "' "
                        + (pluginNames.size() == 2 ? "twice" : pluginNames.size() + " times"));
            } else {
                duplicates.add((pluginNames.size() == 2 ? "two" : String.valueOf(pluginNames.size()))
                        + " plugins contribute " + kind + " '" + name + "': " + joinNames(pluginNames)
                        + " (remove one of the plugin jars from the class path)");
            }
        }));
        return duplicates;
    }

    private record Contribution(String kind, Object name) {}

    private static List<Contribution> contributions(Module plugin, Map<Class<?>, String> kinds) {
        List<Element> elements = Elements.getElements(plugin);
        List<Contribution> found = new ArrayList<>();
        for (Element element : elements) {
            if (!(element instanceof Binding<?> binding)) {
                continue;
            }
            Optional<MapBinderBinding<?>> map = binding.acceptTargetVisitor(new MapFinder<>());
            if (map.isEmpty() || !map.get().getMapKey().equals(binding.getKey())) {
                continue; // not a map binding, or one of its alternate views (Map<K, Provider<V>>, …)
            }
            String kind = kinds.get(map.get().getValueTypeLiteral().getRawType());
            if (kind == null) {
                continue;
            }
            for (Map.Entry<?, Binding<?>> entry : map.get().getEntries(elements)) {
                found.add(new Contribution(kind, entry.getKey()));
            }
        }
        return found;
    }

    private static String joinNames(List<String> names) {
        List<String> distinct = names.stream().distinct().toList();
        if (distinct.size() == 2) {
            return distinct.get(0) + " and " + distinct.get(1);
        }
        return String.join(", ", distinct);
    }

    /** Picks out the MapBinder bindings among a module's bindings. */
    private static final class MapFinder<T> extends DefaultBindingTargetVisitor<T, Optional<MapBinderBinding<?>>>
            implements MultibindingsTargetVisitor<T, Optional<MapBinderBinding<?>>> {
        @Override
        protected Optional<MapBinderBinding<?>> visitOther(Binding<? extends T> binding) {
            return Optional.empty();
        }

        @Override
        public Optional<MapBinderBinding<?>> visit(MultibinderBinding<? extends T> multibinding) {
            return Optional.empty();
        }

        @Override
        public Optional<MapBinderBinding<?>> visit(MapBinderBinding<? extends T> mapbinding) {
            return Optional.of(mapbinding);
        }

        @Override
        public Optional<MapBinderBinding<?>> visit(OptionalBinderBinding<? extends T> optionalbinding) {
            return Optional.empty();
        }
    }
}
