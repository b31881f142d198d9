package dev.ferry.app.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * {@code POST /relay/copy?source=NAME} records a copy request only with the admin token, only for a configured source,
 * and is refused without a configured token, as the parked operations are.
 */
@Timeout(30)
class CopyRequestEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aCopyRequestNeedsTheTokenAndAConfiguredSource() throws Exception {
        List<String> requested = new CopyOnWriteArrayList<>();
        try (AdminServer admin = server("s3cr3t").acceptCopyRequests(List.of("events", "orders"), requested::add)) {
            String base = "http://127.0.0.1:" + admin.port() + "/relay/copy";

            assertThat(post(base + "?source=orders", null).statusCode()).isEqualTo(401);
            assertThat(post(base + "?source=orders", "Bearer wrong").statusCode()).isEqualTo(401);
            HttpResponse<String> unknown = post(base + "?source=invoices", "Bearer s3cr3t");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).contains("no source named 'invoices'").contains("[events, orders]");
            HttpResponse<String> accepted = post(base + "?source=orders", "Bearer s3cr3t");
            assertThat(accepted.statusCode()).isEqualTo(202);
            assertThat(accepted.body()).isEqualTo("{\"requested\":\"copy\",\"source\":\"orders\"}");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "?source=orders")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).as("GET").isEqualTo(404);
        }
        assertThat(requested).containsExactly("orders");

        try (AdminServer admin = server("").acceptCopyRequests(List.of("events"), requested::add)) {
            assertThat(post("http://127.0.0.1:" + admin.port() + "/relay/copy?source=events", null).statusCode())
                .isEqualTo(403);
        }
        try (AdminServer admin = server("s3cr3t").acceptCopyRequests(List.of("events"), source -> {
            throw new IllegalStateException("relay ferry-relay has never run");
        })) {
            HttpResponse<String> refused = post("http://127.0.0.1:" + admin.port() + "/relay/copy?source=events",
                "Bearer s3cr3t");
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(refused.body()).contains("has never run");
        }
    }

    private static AdminServer server(String token) throws Exception {
        return new AdminServer("127.0.0.1", 0, token, () -> true, () -> "{}",
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), null);
    }

    private HttpResponse<String> post(String uri, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri)).POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
