package dev.ferry.benchmark.process;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Ferry process's admin endpoints, read by the benchmark: {@code /status} figures and {@code /metrics}. */
public final class AdminEndpoint {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final int port;

    public AdminEndpoint(int port) {
        this.port = port;
    }

    /** A whole-number field of {@code /status}, e.g. the projector's {@code applied} or the relay's {@code published}. */
    public long statusNumber(String field) throws IOException, InterruptedException {
        String status = get("/status");
        Matcher matcher = Pattern.compile("\"" + Pattern.quote(field) + "\":(-?\\d+)").matcher(status);
        if (!matcher.find()) {
            throw new IllegalStateException("/status on port " + port + " has no number '" + field + "': " + status);
        }
        return Long.parseLong(matcher.group(1));
    }

    /** Whether {@code /health/ready} answers 200 (a relay standby: once it has rehearsed its takeover). */
    public boolean ready() throws IOException, InterruptedException {
        return HTTP.send(request("/health/ready"), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    }

    public Metrics metrics() throws IOException, InterruptedException {
        return new Metrics(get("/metrics"));
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(request(path), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(path + " on port " + port + " answered " + response.statusCode());
        }
        return response.body();
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build();
    }

    /** One Prometheus scrape. */
    public record Metrics(String text) {

        /** The sum of every series of {@code name} (all label sets); 0 if there is none. */
        public double sum(String name) {
            double sum = 0;
            for (String line : text.split("\n")) {
                if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        }

        /** A histogram's cumulative buckets: upper bound (seconds) and count, in order; +Inf last. */
        public List<double[]> buckets(String name) {
            List<double[]> buckets = new ArrayList<>();
            Pattern le = Pattern.compile("le=\"([^\"]+)\"");
            for (String line : text.split("\n")) {
                if (line.startsWith(name + "_bucket{")) {
                    Matcher matcher = le.matcher(line);
                    if (matcher.find()) {
                        double bound = matcher.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY
                            : Double.parseDouble(matcher.group(1));
                        buckets.add(new double[] {bound, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))});
                    }
                }
            }
            buckets.sort((a, b) -> Double.compare(a[0], b[0]));
            return buckets;
        }
    }
}
