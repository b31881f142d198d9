package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import org.bson.Document;
import org.junit.jupiter.api.Test;

class CommandRouteTest {

    private static final Set<String> SMALL = Set.of("ferry_leases");

    @Test
    void commandsOnASmallCollectionTakeTheSmallLane() {
        for (String command : List.of("find", "insert", "update", "delete", "findAndModify", "count")) {
            assertThat(route(command, doc(command, "ferry_leases"))).as(command).isEqualTo(CommandRoute.SMALL);
        }
        assertThat(route("getMore", doc("getMore", 42L).append("collection", "ferry_leases")))
            .isEqualTo(CommandRoute.SMALL);
    }

    @Test
    void commandsOnOtherCollectionsTakeTheMainLane() {
        assertThat(route("insert", doc("insert", "events"))).isEqualTo(CommandRoute.MAIN);
        assertThat(route("getMore", doc("getMore", 42L).append("collection", "events"))).isEqualTo(CommandRoute.MAIN);
        assertThat(route("killCursors", doc("killCursors", "ferry_leases"))).isEqualTo(CommandRoute.MAIN);
    }

    @Test
    void commandsThatTouchNoCollectionTakeTheSmallLane() {
        assertThat(route("hello", doc("hello", 1))).isEqualTo(CommandRoute.SMALL);
        assertThat(route("isMaster", doc("isMaster", 1))).isEqualTo(CommandRoute.SMALL);
        assertThat(route("ping", doc("ping", 1))).isEqualTo(CommandRoute.SMALL);
    }

    @Test
    void aChangeStreamTakesTheMainLaneEvenOnASmallCollection() {
        Document watch = doc("aggregate", "ferry_leases")
            .append("pipeline", List.of(new Document("$changeStream", new Document())));
        assertThat(route("aggregate", watch)).isEqualTo(CommandRoute.MAIN);
    }

    @Test
    void commandsThatChangeOrReadSeveralCollectionsRunAlone() {
        for (String command : List.of("create", "drop", "dropDatabase", "renameCollection", "createIndexes",
            "listCollections", "listIndexes", "dbStats")) {
            assertThat(route(command, doc(command, "ferry_leases"))).as(command).isEqualTo(CommandRoute.ALONE);
        }
        Document lookup = doc("aggregate", "events")
            .append("pipeline", List.of(new Document("$lookup", new Document("from", "ferry_leases"))));
        assertThat(route("aggregate", lookup)).isEqualTo(CommandRoute.ALONE);
    }

    private static CommandRoute route(String command, Document query) {
        return CommandRoute.of(command, toServerDocument(query), SMALL);
    }

    private static Document doc(String key, Object value) {
        return new Document(key, value);
    }

    /** The server's own Document type, which the route reads. */
    private static de.bwaldvogel.mongo.bson.Document toServerDocument(Document query) {
        de.bwaldvogel.mongo.bson.Document converted = new de.bwaldvogel.mongo.bson.Document();
        query.forEach((key, value) -> converted.put(key, convert(value)));
        return converted;
    }

    private static Object convert(Object value) {
        if (value instanceof Document document) {
            return toServerDocument(document);
        }
        if (value instanceof List<?> list) {
            return list.stream().map(CommandRouteTest::convert).toList();
        }
        return value;
    }
}
