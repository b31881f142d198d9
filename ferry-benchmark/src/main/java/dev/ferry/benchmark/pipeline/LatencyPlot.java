package dev.ferry.benchmark.pipeline;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.imageio.ImageIO;

import org.HdrHistogram.Histogram;

/** A latency-percentile plot (x: percentile on a "nines" scale, y: milliseconds) as a PNG, drawn with Java2D. */
final class LatencyPlot {

    private static final double[] PERCENTILES = {50, 75, 90, 95, 99, 99.5, 99.9};
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};
    private static final int WIDTH = 900;
    private static final int HEIGHT = 540;
    private static final int LEFT = 80;
    private static final int RIGHT = 260;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;

    private final Map<String, Histogram> series = new LinkedHashMap<>();

    /** Adds a series of latencies recorded in microseconds. */
    void add(String name, Histogram micros) {
        series.put(name, micros);
    }

    void write(Path file, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        double maxMillis = 1;
        for (Histogram histogram : series.values()) {
            maxMillis = Math.max(maxMillis, histogram.getValueAtPercentile(99.9) / 1000.0);
        }
        maxMillis = Math.ceil(maxMillis * 1.1);
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        double maxNines = nines(99.9);

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, LEFT, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawRect(LEFT, TOP, plotWidth, plotHeight);
        for (double p : PERCENTILES) {
            int x = LEFT + (int) (plotWidth * nines(p) / maxNines);
            g.setColor(new Color(0xdddddd));
            g.drawLine(x, TOP, x, TOP + plotHeight);
            g.setColor(Color.BLACK);
            g.drawString("p" + (p == Math.floor(p) ? String.valueOf((int) p) : String.valueOf(p)), x - 12, TOP + plotHeight + 18);
        }
        for (int i = 0; i <= 5; i++) {
            double millis = maxMillis * i / 5;
            int y = TOP + plotHeight - (int) (plotHeight * i / 5.0);
            g.setColor(new Color(0xdddddd));
            g.drawLine(LEFT, y, LEFT + plotWidth, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%.1f ms", millis), 10, y + 4);
        }
        g.drawString("percentile", LEFT + plotWidth / 2 - 30, HEIGHT - 15);

        int index = 0;
        g.setStroke(new BasicStroke(2.2f));
        for (Map.Entry<String, Histogram> entry : series.entrySet()) {
            Color color = COLORS[index % COLORS.length];
            g.setColor(color);
            int previousX = -1;
            int previousY = -1;
            for (double p : PERCENTILES) {
                int x = LEFT + (int) (plotWidth * nines(p) / maxNines);
                double millis = entry.getValue().getValueAtPercentile(p) / 1000.0;
                int y = TOP + plotHeight - (int) (plotHeight * Math.min(millis, maxMillis) / maxMillis);
                g.fillOval(x - 3, y - 3, 6, 6);
                if (previousX >= 0) {
                    g.drawLine(previousX, previousY, x, y);
                }
                previousX = x;
                previousY = y;
            }
            g.fillRect(LEFT + plotWidth + 15, TOP + 10 + index * 22, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(entry.getKey(), LEFT + plotWidth + 35, TOP + 16 + index * 22);
            index++;
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    /** The "nines" of a percentile: 90 -> 1, 99 -> 2, 99.9 -> 3. */
    private static double nines(double percentile) {
        return -Math.log10(1 - percentile / 100.0);
    }
}
