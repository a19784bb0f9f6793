package io.reloc.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SvgChartTest {
    @Test
    void aLogarithmicAxisPlacesDecadesEvenly() {
        SvgChart.Axis axis = new SvgChart.Axis("ms", 0.1, 100, true);
        assertEquals(0, axis.position(0.1), 1e-9);
        assertEquals(1.0 / 3, axis.position(1), 1e-9);
        assertEquals(1, axis.position(1000), 1e-9, "clamped");
        assertEquals(0, axis.position(0), 1e-9, "zero sits at the low end");
        assertThrows(IllegalArgumentException.class, () -> new SvgChart.Axis("ms", 0, 100, true));
    }

    @Test
    void seriesAreFindableWithTheirPoints() {
        String svg = SvgChart.chart("a <b>", SvgChart.Axis.linear("s", 10), SvgChart.Axis.linear("%", 100),
                List.of(new SvgChart.Marker(5, "switch-over")),
                List.of(new SvgChart.Series("x&y", SvgChart.color(0), new double[] {0, 10}, new double[] {0, 100})));
        assertTrue(svg.contains("data-series=\"x&amp;y\""), svg);
        assertTrue(svg.contains("points=\"60.0,200.0 700.0,30.0\""), svg);
        assertTrue(svg.contains(">switch-over</text>"), svg);
        assertTrue(svg.contains("aria-label=\"a &lt;b&gt;\""), svg);
    }
}
