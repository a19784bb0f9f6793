package io.reloc.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * Shrinks a failing sequence: first drops chunks of actions (halves, quarters, … single
 * actions, as delta debugging does), then simplifies single actions, and repeats until no change
 * keeps the failure. Deterministic: the same failing sequence always shrinks the same way.
 */
final class Shrinking<A> {
    private final Property<A> property;
    private final ActionShrinker<A> shrinker;
    private final int budget;
    private int runs;

    Shrinking(Property<A> property, ActionShrinker<A> shrinker, int budget) {
        this.property = property;
        this.shrinker = shrinker;
        this.budget = budget;
    }

    /** The shrunk sequence and the failure it causes. */
    record Result<A>(List<A> actions, Throwable failure) {}

    Result<A> shrink(List<A> failing, Throwable failure) {
        List<A> current = List.copyOf(failing);
        Throwable last = failure;
        boolean progress = true;
        while (progress && runs < budget) {
            progress = false;
            for (int chunk = Math.max(1, current.size() / 2); chunk >= 1 && runs < budget; chunk /= 2) {
                for (int start = 0; start + chunk <= current.size() && runs < budget; ) {
                    List<A> candidate = new ArrayList<>(current.subList(0, start));
                    candidate.addAll(current.subList(start + chunk, current.size()));
                    Throwable result = fails(candidate);
                    if (result != null) {
                        current = List.copyOf(candidate);
                        last = result;
                        progress = true;
                    } else {
                        start += chunk;
                    }
                }
            }
            for (int i = 0; i < current.size() && runs < budget; i++) {
                for (A simpler : shrinker.simpler(current.get(i))) {
                    List<A> candidate = new ArrayList<>(current);
                    candidate.set(i, simpler);
                    Throwable result = fails(candidate);
                    if (result != null) {
                        current = List.copyOf(candidate);
                        last = result;
                        progress = true;
                        break;
                    }
                }
            }
        }
        return new Result<>(current, last);
    }

    private Throwable fails(List<A> candidate) {
        runs++;
        try {
            property.run(candidate);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
