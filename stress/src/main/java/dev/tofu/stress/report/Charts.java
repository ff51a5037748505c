package dev.tofu.stress.report;

import dev.tofu.stress.load.Result;
import dev.tofu.stress.load.Workload;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chart images (PNG, XChart), one per workload ({@code chart-<workload>.png}) plus all of them
 * stacked in {@code results.png}. Every system is one series in the colour {@link Palette} gives it
 * (tofu's warm, the peers cool), named in the legend, so no axis carries system names that could
 * overlap: a workload's chart shows the latency percentiles (the categories p50 to p99.9, log
 * scale; its legend names every system's colour), the throughput and the CPU per message side by side; the rate workload's shows
 * p50, p99 and p99.9 against the offered rate, one line per system; idle shows CPU in % of a core.
 */
public final class Charts {
    private static final int W = 600;
    private static final int MIN_H = 380;

    private Charts() {
    }

    /** Writes the charts into {@code dir}; returns the files written. */
    public static List<Path> write(Path dir, List<Result> results, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<Result>> byWorkload = new LinkedHashMap<>();
        for (Result r : results) {
            byWorkload.computeIfAbsent(r.spec().family(), k -> new ArrayList<>()).add(r);
        }
        List<Path> files = new ArrayList<>();
        List<Chart<?, ?>> stacked = new ArrayList<>();
        for (Map.Entry<String, List<Result>> e : byWorkload.entrySet()) {
            List<Result> rs = e.getValue();
            Workload w = rs.get(0).spec().workload();
            List<Chart<?, ?>> row = switch (w) {
                case RATE -> rate(e.getKey(), rs);
                case IDLE -> List.of(bars(e.getKey() + ": CPU while quiet (% of one core)", "% of a core", rs,
                        Result::cpuPercentOfCore, false));
                default -> List.of(latency(e.getKey(), rs),
                        bars(e.getKey() + ": throughput (messages/s)", "msgs/s", rs, Result::rate, false),
                        bars(e.getKey() + ": CPU per message (µs, both processes)", "µs/msg", rs, Result::cpuMicrosPerMsg, false));
            };
            for (int i = 1; i < row.size(); i++) {
                row.get(i).getStyler().setLegendVisible(false); // the first panel's legend names every colour
            }
            Path file = dir.resolve("chart-" + slug(e.getKey()) + ".png");
            BitmapEncoder.saveBitmap(new ArrayList<>(row), 1, row.size(), file.toString(), BitmapEncoder.BitmapFormat.PNG);
            files.add(file);
            while (row.size() < 3) {
                row = new ArrayList<>(row);
                row.add(blank(rs.size()));
            }
            stacked.addAll(row);
        }
        Path all = dir.resolve("results.png");
        BitmapEncoder.saveBitmap(stacked, byWorkload.size(), 3, all.toString(), BitmapEncoder.BitmapFormat.PNG);
        files.add(all);
        return files;
    }

    /** "pipeline 16ch x64 64B" -> "pipeline-16ch-x64-64B". */
    static String slug(String family) {
        return family.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "");
    }

    private static int height(int series) {
        return Math.max(MIN_H, 90 + 21 * series);
    }

    private static CategoryChart latency(String workload, List<Result> rs) {
        CategoryChart c = new CategoryChartBuilder().width(W).height(height(rs.size()))
                .title(workload + ": round-trip latency (µs, log)").yAxisTitle("µs").build();
        style(c);
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setYAxisMin(1.0); // bars start at the axis minimum, which a log axis needs above 0
        List<String> ps = List.of("p50", "p90", "p99", "p99.9");
        for (Result r : rs) {
            List<Number> ys = new ArrayList<>();
            for (double p : new double[]{50, 90, 99, 99.9}) {
                double v = r.micros(p);
                ys.add(Double.isNaN(v) || v < 1 ? 1.0 : v); // a log axis takes no 0
            }
            c.addSeries(r.system(), ps, ys).setFillColor(Palette.of(r.system()));
        }
        return c;
    }

    private static CategoryChart bars(String title, String unit, List<Result> rs,
                                      java.util.function.ToDoubleFunction<Result> value, boolean log) {
        CategoryChart c = new CategoryChartBuilder().width(W).height(height(rs.size())).title(title).yAxisTitle(unit).build();
        style(c);
        c.getStyler().setYAxisLogarithmic(log);
        for (Result r : rs) {
            double v = value.applyAsDouble(r);
            c.addSeries(r.system(), List.of(unit), List.of(Double.isNaN(v) ? 0.0 : v)).setFillColor(Palette.of(r.system()));
        }
        return c;
    }

    /** p50, p99 and p99.9 against the offered rate (both log), one line per system. */
    private static List<Chart<?, ?>> rate(String family, List<Result> rs) {
        Map<String, List<Result>> bySystem = new LinkedHashMap<>();
        for (Result r : rs) {
            bySystem.computeIfAbsent(r.system(), k -> new ArrayList<>()).add(r);
        }
        List<Chart<?, ?>> out = new ArrayList<>();
        for (double p : new double[]{50, 99, 99.9}) {
            String pn = p == 99.9 ? "p99.9" : "p" + (int) p;
            XYChart c = new XYChartBuilder().width(W).height(height(bySystem.size()))
                    .title(family + ": " + pn + " latency at an offered rate").xAxisTitle("offered msgs/s (log)")
                    .yAxisTitle(pn + " µs (log)").build();
            style(c.getStyler());
            c.getStyler().setXAxisLogarithmic(true);
            c.getStyler().setYAxisLogarithmic(true);
            for (Map.Entry<String, List<Result>> e : bySystem.entrySet()) {
                List<Result> steps = new ArrayList<>(e.getValue());
                steps.sort(java.util.Comparator.comparingLong(r -> r.spec().offeredRate()));
                double[] x = steps.stream().mapToDouble(r -> r.spec().offeredRate()).toArray();
                double[] y = steps.stream().mapToDouble(r -> Math.max(1.0, nanToOne(r.micros(p)))).toArray();
                XYSeries s = c.addSeries(e.getKey(), x, y);
                Color col = Palette.of(e.getKey());
                s.setLineColor(col);
                s.setMarkerColor(col);
                s.setMarker(Palette.isTofu(e.getKey()) ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
                s.setLineStyle(new BasicStroke(Palette.isTofu(e.getKey()) ? 3f : 1.6f, BasicStroke.CAP_ROUND,
                        BasicStroke.JOIN_ROUND, 10f, Palette.forked(e.getKey()) ? new float[]{7f, 5f} : null, 0f));
            }
            if (p == 99) {
                bound(c, rs);
            }
            out.add(c);
        }
        return out;
    }

    /** The 1 ms line of the p99 panel (the rate summary's bound), grey and dotted. */
    private static void bound(XYChart c, List<Result> rs) {
        double lo = rs.stream().mapToDouble(r -> r.spec().offeredRate()).min().orElse(1);
        double hi = rs.stream().mapToDouble(r -> r.spec().offeredRate()).max().orElse(1);
        XYSeries s = c.addSeries("p99 = 1 ms", new double[]{lo, Math.max(hi, lo * 1.01)},
                new double[]{RateReport.P99_BOUND_MICROS, RateReport.P99_BOUND_MICROS});
        s.setLineColor(Color.GRAY);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineStyle(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{2f, 4f}, 0f));
    }

    private static double nanToOne(double v) {
        return Double.isNaN(v) ? 1.0 : v;
    }

    private static CategoryChart blank(int series) {
        CategoryChart c = new CategoryChartBuilder().width(W).height(height(series)).title(" ").build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotBackgroundColor(Color.WHITE);
        c.getStyler().setPlotBorderVisible(false);
        c.getStyler().setAxisTicksVisible(false);
        c.getStyler().setLegendVisible(false);
        c.getStyler().setPlotGridLinesVisible(false);
        c.getStyler().setXAxisTicksVisible(false);
        c.getStyler().setYAxisTicksVisible(false);
        c.addSeries(" ", List.of(" "), List.of(0));
        return c;
    }

    private static void style(CategoryChart c) {
        style(c.getStyler());
        c.getStyler().setOverlapped(false);
        c.getStyler().setAvailableSpaceFill(0.9);
    }

    private static void style(org.knowm.xchart.style.AxesChartStyler s) {
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotGridVerticalLinesVisible(false);
        s.setDecimalPattern("#,###.#");
        s.setLegendFont(s.getLegendFont().deriveFont(11f));
        s.setChartTitleFont(s.getChartTitleFont().deriveFont(12f));
        s.setLocale(Locale.ROOT);
    }
}
