package io.reloc.testkit;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PropertyRunnerTest {

    /** Adds a value to a list; the "system" under test is a list that forgets the value 7. */
    record Add(int value) {}

    private static List<Add> simpler(Add add) {
        return add.value() > 0 ? List.of(new Add(add.value() / 2), new Add(add.value() - 1)) : List.of();
    }

    private static final Property<Add> FORGETS_SEVEN = actions -> {
        List<Integer> model = new ArrayList<>();
        List<Integer> real = new ArrayList<>();
        for (Add add : actions) {
            model.add(add.value());
            if (add.value() != 7) {
                real.add(add.value());
            }
            if (!model.equals(real)) {
                throw new AssertionError("model " + model + " but real " + real);
            }
        }
    };

    private final PropertyRunner<Add> runner = new PropertyRunner<Add>((random, sofar) -> new Add(random.nextInt(20)), PropertyRunnerTest::simpler)
            .length(5, 40);

    @Test
    void findsAndShrinksToTheSingleGuiltyAction() {
        PropertyFailure failure = assertThrows(PropertyFailure.class,
                () -> runner.sequences(200).check("forgets seven", FORGETS_SEVEN));
        assertEquals(List.of(new Add(7)), failure.shrunk());
        assertTrue(failure.getMessage().contains("-Dreloc.seed=" + failure.seed()), failure.getMessage());
    }

    @Test
    void theReportedSeedReplaysTheSameFailure() {
        PropertyFailure first = assertThrows(PropertyFailure.class,
                () -> runner.sequences(200).check("forgets seven", FORGETS_SEVEN));
        PropertyRunner<Add> replay = new PropertyRunner<Add>((random, sofar) -> new Add(random.nextInt(20)), PropertyRunnerTest::simpler)
                .length(5, 40).seed(first.seed());
        PropertyFailure again = assertThrows(PropertyFailure.class, () -> replay.check("forgets seven", FORGETS_SEVEN));
        assertEquals(first.seed(), again.seed());
        assertEquals(runner.generate(first.seed()), replay.generate(first.seed()));
    }

    @Test
    void aCorrectSystemPasses() {
        runner.sequences(50).check("keeps everything", actions -> {
            List<Integer> model = new ArrayList<>();
            actions.forEach(a -> model.add(a.value()));
            assertEquals(actions.size(), model.size());
        });
    }

    @Test
    void generationIsDeterministicPerSeed() {
        assertEquals(runner.generate(42), runner.generate(42));
    }
}
