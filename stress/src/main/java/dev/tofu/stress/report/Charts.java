package dev.tofu.stress.report;

import dev.tofu.stress.load.Result;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One chart image (PNG, XChart) a person can look at: a row per workload, on the left the latency
 * percentiles per system (p50, p90, p99, p99.9 in µs), on the right the throughput per system
 * (messages/s), in the order of the table (tofu first).
 */
public final class Charts {
    private static final int W = 760;
    private static final int H = 380;

    private Charts() {
    }

    /** Writes {@code results.png} into {@code dir}. */
    public static List<Path> write(Path dir, List<Result> results, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<Result>> byWorkload = new LinkedHashMap<>();
        for (Result r : results) {
            byWorkload.computeIfAbsent(r.spec().label(), k -> new ArrayList<>()).add(r);
        }
        List<CategoryChart> charts = new ArrayList<>();
        for (Map.Entry<String, List<Result>> e : byWorkload.entrySet()) {
            List<String> systems = e.getValue().stream().map(Result::system).toList();
            CategoryChart lat = new CategoryChartBuilder().width(W).height(H)
                    .title(e.getKey() + ": round-trip latency (µs, log scale)").yAxisTitle("µs").build();
            style(lat);
            lat.getStyler().setYAxisLogarithmic(true);
            lat.getStyler().setYAxisMin(1.0); // bars start at the axis minimum, which a log axis needs above 0
            for (double p : new double[]{50, 90, 99, 99.9}) {
                List<Number> ys = new ArrayList<>();
                for (Result r : e.getValue()) {
                    double v = r.micros(p);
                    ys.add(Double.isNaN(v) || v < 1 ? 1.0 : v); // a log axis takes no 0
                }
                lat.addSeries(p == 99.9 ? "p99.9" : "p" + (int) p, systems, ys);
            }
            CategoryChart thr = new CategoryChartBuilder().width(W).height(H)
                    .title(e.getKey() + ": throughput (messages/s)").yAxisTitle("msgs/s").build();
            style(thr);
            thr.getStyler().setLegendVisible(false);
            thr.addSeries("msgs/s", systems, e.getValue().stream().map(r -> (Number) r.rate()).toList());
            charts.add(lat);
            charts.add(thr);
        }
        Path file = dir.resolve("results.png");
        BitmapEncoder.saveBitmap(charts, byWorkload.size(), 2, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return List.of(file);
    }

    private static void style(CategoryChart c) {
        var s = c.getStyler();
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotGridVerticalLinesVisible(false);
        c.getStyler().setXAxisLabelRotation(20);
        c.getStyler().setOverlapped(false);
        c.getStyler().setDecimalPattern("#,###.#");
    }
}
