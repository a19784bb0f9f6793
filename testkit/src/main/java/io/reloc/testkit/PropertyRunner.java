package io.reloc.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static java.util.Objects.requireNonNull;

/**
 * Generates seeded action sequences, checks a {@link Property} on each, and shrinks the first
 * failure. Prints the base seed before running, so even a hang can be replayed.
 */
public final class PropertyRunner<A> {
    private final ActionGenerator<A> generator;
    private final ActionShrinker<A> shrinker;
    private int sequences = Integer.getInteger("reloc.sequences", 100);
    private int minLength = 1;
    private int maxLength = 50;
    private int shrinkBudget = 2_000;
    private Long seed = Long.getLong("reloc.seed");

    public PropertyRunner(ActionGenerator<A> generator, ActionShrinker<A> shrinker) {
        this.generator = requireNonNull(generator, "generator is null");
        this.shrinker = requireNonNull(shrinker, "shrinker is null");
    }

    /** How many sequences to try (ignored when replaying one seed). */
    public PropertyRunner<A> sequences(int count) {
        if (System.getProperty("reloc.sequences") == null) {
            this.sequences = count;
        }
        return this;
    }

    public PropertyRunner<A> length(int min, int max) {
        if (min < 0 || max < min) {
            throw new IllegalArgumentException("bad length range [" + min + ", " + max + "]");
        }
        this.minLength = min;
        this.maxLength = max;
        return this;
    }

    /** How many property runs shrinking may spend. */
    public PropertyRunner<A> shrinkBudget(int runs) {
        this.shrinkBudget = runs;
        return this;
    }

    /** Runs only the sequence of this seed (what {@code -Dreloc.seed} does). */
    public PropertyRunner<A> seed(long fixed) {
        this.seed = fixed;
        return this;
    }

    /** The sequence a seed generates, for tests of generators and for debugging. */
    public List<A> generate(long sequenceSeed) {
        RandomGenerator random = new SplittableRandom(sequenceSeed);
        int length = minLength + random.nextInt(maxLength - minLength + 1);
        List<A> actions = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            actions.add(generator.next(random, actions));
        }
        return actions;
    }

    /**
     * @throws PropertyFailure with the seed and the shrunk sequence when a sequence fails
     */
    public void check(String name, Property<A> property) {
        List<Long> seeds = new ArrayList<>();
        if (seed != null) {
            System.out.println("property '" + name + "': the sequence of seed " + seed); // traceable, as below
            seeds.add(seed);
        } else {
            long base = new SplittableRandom().nextLong();
            System.out.println("property '" + name + "': " + sequences + " sequences from base seed " + base);
            SplittableRandom seedSource = new SplittableRandom(base);
            for (int i = 0; i < sequences; i++) {
                seeds.add(seedSource.nextLong());
            }
        }
        for (long sequenceSeed : seeds) {
            List<A> actions = generate(sequenceSeed);
            try {
                property.run(actions);
            } catch (Throwable failure) {
                Shrinking.Result<A> shrunk = new Shrinking<>(property, shrinker, shrinkBudget).shrink(actions, failure);
                PropertyFailure report = new PropertyFailure(name, sequenceSeed, actions.size(), shrunk.actions(), shrunk.failure());
                System.out.println(report.getMessage());
                throw report;
            }
        }
    }
}
