package dev.ferry.app.run;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A POST of a record's JSON to a dependency's URL, with the record's idempotency key as {@code Idempotency-Key}: what
 * {@code notifyUrl} does for projectors and replicators alike, called through the engine's circuit breaker. Anything
 * but a 2xx answer is a failure (retried, then parked; the breaker opens while the endpoint is down).
 */
final class RestNotification {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String url;

    RestNotification(String url) {
        this.url = url;
    }

    void post(String json, String idempotencyKey) throws IOException, InterruptedException {
        HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").header("Idempotency-Key", idempotencyKey)
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
            HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("notify " + url + " answered " + response.statusCode());
        }
    }
}
