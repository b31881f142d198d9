package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourcesConfigTest {

    private static final String MINIMAL = """
        mongodb:
          uri: mongodb://localhost:27017
        kafka:
          bootstrapServers: localhost:9092
        """;

    @TempDir
    Path dir;

    private FerryConfig load(String yaml) throws IOException {
        return load(yaml, Map.of());
    }

    private FerryConfig load(String yaml, Map<String, String> environment) throws IOException {
        Path file = dir.resolve("ferry.yml");
        Files.writeString(file, yaml);
        return new ConfigLoader(environment).load(file);
    }

    /** The error is a ConfigError of exactly one line with this text. */
    private AbstractThrowableAssert<?, ? extends Throwable> refuses(String yaml) {
        return assertThatThrownBy(() -> load(yaml)).isInstanceOf(ConfigError.class)
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void withoutSourcesTheEventStoreIsOneCommitsSourceOnEventsInFerrysDatabase() throws IOException {
        FerryConfig config = load(MINIMAL);

        assertThat(config.sources()).containsExactly(new SourceConfig.Commits("events", "ferry", "events", null));
        assertThat(config.sources().get(0).collection()).isEqualTo("events");
        assertThat(config.transport()).isEqualTo(FerryConfig.Transport.KAFKA);
        assertThat(config.targets()).isEmpty();
    }

    @Test
    void aCommitsSourceDefaultsItsNameToTheCollectionAndItsDatabaseToFerrys() throws IOException {
        FerryConfig config = load(MINIMAL + """
            sources:
              - kind: commits
                collection: commits
                aggregateTypes: [patient]
            """);

        SourceConfig.Commits source = (SourceConfig.Commits) config.sources().get(0);
        assertThat(source.name()).isEqualTo("commits");
        assertThat(source.database()).isEqualTo("ferry");
        assertThat(source.claims()).containsExactly("patient");
    }

    @Test
    void legacyEventsCollectionLoadsAsOneCommitsSource() throws IOException {
        FerryConfig config = load("""
            mongodb:
              uri: mongodb://localhost:27017
              database: ferry
              eventsCollection: history
            kafka:
              bootstrapServers: localhost:9092
            """);

        assertThat(config.sources()).containsExactly(new SourceConfig.Commits("history", "ferry", "history", null));
    }

    @Test
    void legacyEventsCollectionStillHasItsEnvironmentVariable() throws IOException {
        FerryConfig config = load(MINIMAL, Map.of("FERRY_MONGODB_EVENTS_COLLECTION", "history"));

        assertThat(config.sources().get(0).collection()).isEqualTo("history");
    }

    @Test
    void legacyEventsCollectionTogetherWithSourcesSaysToMoveIt() {
        refuses(MINIMAL.replace("uri: mongodb://localhost:27017\n", "uri: mongodb://localhost:27017\n  eventsCollection: x\n")
            + "sources: [{kind: commits, collection: events}]\n")
            .hasMessage("mongodb.eventsCollection: both it and sources are set; move it into sources as "
                + "{kind: commits, collection: x}");
    }

    @Test
    void anUnknownKeyIsOneLineNamingItWhereverItIs() {
        refuses(MINIMAL + "relays:\n  name: x\n").hasMessageStartingWith("unknown section 'relays'; expected one of [admin, ")
            .hasMessageContaining("sources");
        refuses(MINIMAL + "  partitons: 3\n").hasMessage("unknown setting 'kafka.partitons'; kafka has [bootstrapServers, "
            + "compression, deadLetterTopic, exactlyOnce, idempotence, lingerMs, partitions, properties, replicationFactor, topicPrefix]");
        refuses("mongodb:\n  uri: mongodb://localhost:27017\nkafka:\n  bootstrapServer: localhost:9092\n")
            .hasMessageStartingWith("unknown setting 'kafka.bootstrapServer'; kafka has [bootstrapServers, ");
        refuses("mongdb:\n  uri: mongodb://localhost:27017\n").hasMessageStartingWith("unknown section 'mongdb'");
        refuses(MINIMAL + "sources:\n  - kind: commits\n    collection: events\n  - kind: commits\n    colection: x\n")
            .hasMessage("unknown setting 'sources[1].colection'; sources[1] has [aggregateTypes, collection, database, initialLoad, kind, name]");
    }

    @Test
    void anUnknownOrMissingKindListsTheKnownOnes() {
        refuses(MINIMAL + "sources: [{kind: oplog, collection: events}]\n")
            .hasMessage("sources[0].kind: expected one of [commits, events, entities], got 'oplog'");
        refuses(MINIMAL + "sources: [{collection: events}]\n")
            .hasMessage("sources[0].kind is missing: expected one of [commits, events, entities]");
    }

    @Test
    void aSourceWithoutCollectionNamesTheKey() {
        refuses(MINIMAL + "sources: [{kind: commits, collection: events}, {kind: commits, aggregateTypes: [a]}]\n")
            .hasMessage("sources[1].collection is missing: expected the collection's name");
    }

    @Test
    void twoSourcesOnOneCollectionConflict() {
        refuses(MINIMAL + """
            sources:
              - {kind: commits, collection: events, aggregateTypes: [patient]}
              - {kind: commits, name: again, database: ferry, collection: events, aggregateTypes: [order]}
            """).hasMessage("sources[1].collection: ferry.events is already read by sources[0]; one source per collection");
    }

    @Test
    void twoSourcesWithOneNameConflict() {
        refuses(MINIMAL + """
            sources:
              - {kind: commits, name: store, collection: a, aggregateTypes: [patient]}
              - {kind: commits, name: store, collection: b, aggregateTypes: [order]}
            """).hasMessage("sources[1].name: 'store' is already the name of sources[0]; names must be unique");
    }

    @Test
    void anAggregateTypeOrEntityClaimedTwiceConflicts() {
        refuses(MINIMAL + """
            sources:
              - {kind: commits, collection: a, aggregateTypes: [patient, order]}
              - {kind: commits, collection: b, aggregateTypes: [order]}
            """).hasMessage("sources[1].aggregateTypes: 'order' is already claimed by sources[0]; each aggregate type "
            + "or entity has one source");
        refuses(MINIMAL + """
            sources:
              - {kind: commits, collection: a, aggregateTypes: [patient]}
              - {kind: entities, collection: patient}
            """).hasMessage("sources[1].entity: 'patient' is already claimed by sources[0]; each aggregate type "
            + "or entity has one source");
        refuses(MINIMAL + """
            sources:
              - {kind: events, collection: a, aggregateType: patient}
              - {kind: events, collection: b, aggregateType: patient}
            """).hasMessageStartingWith("sources[1].aggregateType: 'patient' is already claimed by sources[0]");
    }

    @Test
    void twoCommitsSourcesThatClaimNothingConflict() {
        refuses(MINIMAL + "sources: [{kind: commits, collection: a}, {kind: commits, collection: b}]\n")
            .hasMessage("sources[1].aggregateTypes is missing: expected the aggregate types this store holds, since "
                + "sources[0] is already a commits source without aggregateTypes");
    }

    @Test
    void unknownTransportsAndTargetKindsAreRefusedWithOneLine() {
        refuses(MINIMAL + "transport: pigeon\n").hasMessage("transport: expected one of [kafka, nats], got 'pigeon'");
        refuses(MINIMAL + "targets:\n  - name: replica\n    uri: mongodb://elsewhere\n")
            .hasMessage("targets[0].kind is missing: expected one of [mongodb, postgresql]");
        refuses(MINIMAL + "targets:\n  - {kind: h2, name: replica}\n")
            .hasMessage("targets[0].kind: expected one of [mongodb, postgresql], got 'h2'");
    }

    @Test
    void natsIsATransportWithItsOwnSectionAndOneTokenTypes() throws IOException {
        FerryConfig config = load(MINIMAL + "transport: nats\nnats:\n  servers: nats://a:4222,nats://b:4222\n"
            + "  dedupeWindow: 90s\n");
        assertThat(config.nats().serverList()).containsExactly("nats://a:4222", "nats://b:4222");
        assertThat(config.nats().stream()).isEqualTo("ferry");
        assertThat(config.nats().partitions()).isEqualTo(12);
        assertThat(config.nats().dedupeWindowDuration()).isEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(config.nats().maxAgeDuration()).isEqualTo(java.time.Duration.ofDays(7));
        assertThat(config.nats().ackWaitDuration()).isEqualTo(java.time.Duration.ofMinutes(5));
        assertThat(config.nats().maxAckPending()).isEqualTo(5_000);

        refuses(MINIMAL + "transport: nats\n").hasMessage(
            "nats.servers is missing: expected nats://host:port[,nats://host:port…] (in the config file or FERRY_NATS_SERVERS)");
        refuses(MINIMAL + "nats:\n  servers: nats://localhost:4222\n")
            .hasMessage("nats: given, but the transport is kafka; set transport: nats to use it");
        refuses(MINIMAL + "transport: nats\nnats: {servers: 'nats://a:4222', dedupeWindow: soon}\n")
            .hasMessage("nats.dedupeWindow: expected a positive duration such as 500ms, 30s, 2m, 12h or 7d, got 'soon'");
        refuses(MINIMAL + "transport: nats\nnats: {servers: 'nats://a:4222'}\nprojector: {aggregateTypes: [patient.v2]}\n")
            .hasMessage("projector.aggregateTypes: 'patient.v2' may only contain A-Z a-z 0-9 _ - on NATS (it becomes "
                + "one subject token: no '.', '*' or '>')");
    }

    @Test
    void twoEntitySourcesOfOneNameConflict() {
        refuses(MINIMAL + "sources: [{kind: entities, collection: a}, {kind: entities, collection: a}]\n")
            .hasMessageStartingWith("sources[1].name: 'a' is already the name of sources[0]");
    }

    @Test
    void anEntitySourceCopiesFirstAndPublishesItsCollectionAsTheEntityByDefault() throws IOException {
        FerryConfig config = load(MINIMAL + "sources: [{kind: entities, collection: patients}]\n");

        SourceConfig.Entities patients = (SourceConfig.Entities) config.sources().get(0);
        assertThat(patients.entity()).isEqualTo("patients");
        assertThat(patients.claims()).containsExactly("patients");
        assertThat(patients.copiesFirst()).isTrue();
        assertThat(patients.maxRecordBytes()).isEqualTo(1_000_000);
        assertThat(patients.prePostImages()).isFalse();

        SourceConfig.Entities named = (SourceConfig.Entities) load(MINIMAL + "sources: [{kind: entities, "
            + "collection: patients, entity: patient, initialLoad: none, maxRecordBytes: 500000, prePostImages: true}]\n")
            .sources().get(0);
        assertThat(named.entity()).isEqualTo("patient");
        assertThat(named.copiesFirst()).isFalse();
        assertThat(named.maxRecordBytes()).isEqualTo(500_000);
        assertThat(named.prePostImages()).isTrue();
    }

    @Test
    void anEntitySourcesVersionFieldNeedsPreAndPostImages() throws IOException {
        refuses(MINIMAL + "sources: [{kind: entities, collection: patients, versionField: rev}]\n")
            .hasMessage("sources[0].versionField: needs prePostImages: true (a delete's version is the deleted "
                + "document's rev, which only the collection's pre-images hold)");
        assertThat(((SourceConfig.Entities) load(MINIMAL + "sources: [{kind: entities, collection: patients, "
            + "versionField: rev, prePostImages: true}]\n").sources().get(0)).versionField()).isEqualTo("rev");
    }

    @Test
    void targetsReplicateEntitiesOfEntitiesSourcesUnderNamesOfTheirOwn() throws IOException {
        String sources = "sources: [{kind: entities, collection: patients, entity: patient}]\n";
        FerryConfig config = load(MINIMAL + sources + """
            targets:
              - {kind: mongodb, name: mongo-replica, database: replica, entities: [patient]}
              - kind: postgresql
                name: pg-replica
                url: jdbc:postgresql://localhost:5432/replica
                entities: [patient]
                tables:
                  patient: {table: patients, columns: [{name: family, field: name.family, type: text}]}
            """);
        TargetConfig.MongoDb mongo = (TargetConfig.MongoDb) config.targets().get(0);
        assertThat(mongo.collectionOf("patient")).isEqualTo("patient");
        assertThat(mongo.tombstoneRetentionDuration()).isEqualTo(java.time.Duration.ofDays(7));
        TargetConfig.PostgreSql postgres = (TargetConfig.PostgreSql) config.targets().get(1);
        assertThat(postgres.tableOf("patient").columns()).singleElement()
            .isEqualTo(new TargetConfig.PostgreSql.Column("family", "name.family", "text"));
        assertThat(postgres.poolSize()).isEqualTo(8);

        refuses(MINIMAL + sources + "targets: [{kind: mongodb, name: r, database: d, entities: [invoice]}]\n")
            .hasMessage("targets[0].entities: 'invoice' is published by no entities source; the entities sources "
                + "publish [patient]");
        refuses(MINIMAL + sources + "targets: [{kind: mongodb, name: r, database: d, entities: [patient]}, "
            + "{kind: mongodb, name: r, database: e, entities: [patient]}]\n")
            .hasMessageStartingWith("targets[1].name: 'r' is already the name of targets[0]");
        refuses(MINIMAL + sources + "targets: [{kind: postgresql, name: r, url: 'postgres://x', entities: [patient]}]\n")
            .hasMessage("targets[0].url: expected a JDBC URL such as jdbc:postgresql://host:5432/db, got 'postgres://x'");
        refuses(MINIMAL + sources + "targets: [{kind: postgresql, name: r, url: 'jdbc:postgresql://x/d', "
            + "entities: [patient], tables: {patient: {table: p, columns: [{name: c, field: f, type: varchar}]}}}]\n")
            .hasMessageStartingWith("targets[0].tables.patient.columns[0].type: expected one of [text, integer");
        refuses(MINIMAL + sources + "targets: [{kind: mongodb, name: r, database: d, entities: [patient], color: red}]\n")
            .hasMessageStartingWith("unknown setting 'targets[0].color'");
        String two = "sources: [{kind: entities, collection: patients, entity: patient}, "
            + "{kind: entities, collection: staff, entity: Practitioner}]\n";
        refuses(MINIMAL + two + "targets: [{kind: mongodb, name: r, database: d, entities: [patient, Practitioner], "
            + "collections: {Practitioner: patient}}]\n")
            .hasMessage("targets[0].collections.Practitioner: 'patient' is already where 'patient' goes; each entity "
                + "needs its own");
        refuses(MINIMAL + two + "targets: [{kind: postgresql, name: r, url: 'jdbc:postgresql://x/d', "
            + "entities: [patient, Practitioner]}]\n")
            .hasMessage("targets[0].tables.Practitioner: 'Practitioner' is not a table name (a-z, 0-9 and _): give the "
                + "entity's table, e.g. tables: {Practitioner: {table: practitioner}}");
        refuses(MINIMAL + "sources: [{kind: entities, collection: a, prePostImages: true}, {kind: entities, "
            + "collection: b}]\n")
            .hasMessageStartingWith("sources[1].prePostImages: expected the same for every entities source");
    }

    @Test
    void anEntityIsNotAProjectedType() {
        refuses(MINIMAL + "sources: [{kind: commits, collection: events}, {kind: entities, collection: patients, "
            + "entity: patient}]\nprojector:\n  aggregateTypes: [patient]\n")
            .hasMessage("projector.aggregateTypes: 'patient' is an entity (sources: kind entities): its topic carries "
                + "entity changes, not events; projectors read aggregate types");
    }

    @Test
    void anEntitySourcesRecordLimitBelowOneKilobyteIsRefused() {
        refuses(MINIMAL + "sources: [{kind: entities, collection: patients, maxRecordBytes: 100}]\n")
            .hasMessageStartingWith("sources[0].maxRecordBytes: expected a whole number from 1024");
    }

    @Test
    void projectedTypesMustComeFromASourceOnlyWhenEverySourceListsItsTypes() throws IOException {
        String claimed = "sources: [{kind: commits, collection: events, aggregateTypes: [patient]}]\n";

        refuses(MINIMAL + claimed + "projector:\n  aggregateTypes: [patient, order]\n")
            .hasMessage("projector.aggregateTypes: 'order' is claimed by no source; the sources claim [patient]");
        assertThat(load(MINIMAL + "projector:\n  aggregateTypes: [patient, order]\n").projector().aggregateTypes())
            .containsExactly("patient", "order");
    }

    @Test
    void aRelayReadsSeveralSourcesOfBothEventKinds() throws IOException {
        FerryConfig config = load(MINIMAL + """
            sources:
              - {kind: commits, collection: a, aggregateTypes: [order]}
              - kind: events
                database: clinic
                collection: patient_events
                stream: {field: streamId}
                aggregateTypes: [patient]
                version: revision
                versionBase: 0
                eventType: type
                timestamp: createdAt
                payload: data
                metadata: {correlationId: meta.correlationId}
              - {kind: events, collection: staff, aggregateType: practitioner, versionRule: increasing}
            """);

        assertThat(config.sources()).extracting(SourceConfig::name).containsExactly("a", "patient_events", "staff");
        SourceConfig.Events patients = (SourceConfig.Events) config.sources().get(1);
        assertThat(patients.database()).isEqualTo("clinic");
        assertThat(patients.stream()).isEqualTo(new SourceConfig.Events.Stream("streamId", "-", null));
        assertThat(patients.aggregateId()).isNull();
        assertThat(patients.versionBase()).isZero();
        assertThat(patients.eventId()).isEqualTo("_id");
        assertThat(patients.metadata()).containsExactly(Map.entry("correlationId", "meta.correlationId"));
        SourceConfig.Events staff = (SourceConfig.Events) config.sources().get(2);
        assertThat(staff.database()).isEqualTo("ferry");
        assertThat(staff.aggregateId()).isEqualTo("aggregateId");
        assertThat(staff.version()).isEqualTo("version");
        assertThat(staff.versionRule()).isEqualTo("increasing");
        assertThat(staff.claims()).containsExactly("practitioner");
    }

    @Test
    void aSourceOnlyStreamsUnlessToldToCopyFirst() throws IOException {
        FerryConfig config = load(MINIMAL + """
            sources:
              - {kind: commits, collection: a, aggregateTypes: [order], initialLoad: copy}
              - {kind: events, collection: b, aggregateType: patient}
            """);

        assertThat(config.sources()).extracting(SourceConfig::initialLoad).containsExactly("copy", "none");
        refuses(MINIMAL + "sources: [{kind: commits, collection: a, initialLoad: all}]\n")
            .hasMessage("sources[0].initialLoad: expected none or copy, got 'all'");
    }

    @Test
    void anEventsMappingIsCheckedWithOneLineEach() {
        refuses(MINIMAL + "sources: [{kind: events, collection: e}]\n")
            .hasMessage("sources[0].aggregateType: expected exactly one of aggregateType (a constant), aggregateTypeField "
                + "(a field) or stream (type and id from one field), got 0");
        refuses(MINIMAL + "sources: [{kind: events, collection: e, aggregateType: p, versionBase: 2}]\n")
            .hasMessage("sources[0].versionBase: expected a whole number from 0 to 1, got 2");
        refuses(MINIMAL + "sources: [{kind: events, collection: e, aggregateType: p, versionRule: sometimes}]\n")
            .hasMessage("sources[0].versionRule: expected contiguous or increasing, got 'sometimes'");
        refuses(MINIMAL + "sources: [{kind: events, collection: e, stream: {field: s, regex: '(.*)'}}]\n")
            .hasMessageStartingWith("sources[0].stream.regex: expected the named groups");
        refuses(MINIMAL + "sources: [{kind: events, collection: e, stream: {field: s}, aggregateId: id}]\n")
            .hasMessage("sources[0].aggregateId: not with stream, which holds the id");
        refuses(MINIMAL + "sources: [{kind: events, collection: e, aggregateType: p, metadata: {userId: u}}]\n")
            .hasMessage("sources[0].metadata.userId: expected correlationId or causationId");
        refuses(MINIMAL + "sources: [{kind: events, collection: e, aggregateType: p, payloadField: data}]\n")
            .hasMessageStartingWith("unknown setting 'sources[0].payloadField'");
        refuses(MINIMAL + "sources: [{kind: events, collection: a, aggregateTypeField: t}, "
            + "{kind: commits, collection: b}]\n")
            .hasMessage("sources[1].aggregateTypes is missing: expected the aggregate types this store holds, since "
                + "sources[0] is already a events source without aggregateTypes");
    }

    @Test
    void environmentVariablesReachTheNewSections() throws IOException {
        FerryConfig config = load(MINIMAL + "sources:\n  - kind: commits\n    database: ${STORE_DB}\n    collection: ${STORE}\n",
            Map.of("STORE", "commits", "STORE_DB", "shop", "FERRY_TRANSPORT", "kafka"));

        assertThat(config.sources()).containsExactly(new SourceConfig.Commits("commits", "shop", "commits", null));
        assertThatThrownBy(() -> load(MINIMAL + "sources:\n  - kind: commits\n    collection: ${STORE}\n"))
            .hasMessage("sources[0].collection: refers to environment variable STORE, which is not set");
        assertThatThrownBy(() -> load(MINIMAL, Map.of("FERRY_TRANSPORT", "nats")))
            .hasMessageStartingWith("nats.servers is missing");
        assertThat(load(MINIMAL, Map.of("FERRY_TRANSPORT", "nats", "FERRY_NATS_SERVERS", "nats://n:4222")).nats()
            .servers()).isEqualTo("nats://n:4222");
    }

    @Test
    void wrongShapesAreOneLineEach() {
        refuses(MINIMAL + "sources: {kind: commits}\n")
            .hasMessage("sources: expected a list of sources, e.g. [{kind: commits, collection: events}]");
        refuses(MINIMAL + "sources: []\n")
            .hasMessage("sources: expected at least one source, e.g. [{kind: commits, collection: events}]");
        refuses(MINIMAL + "relay: fast\n").hasMessage("relay: expected a mapping of settings");
        refuses(MINIMAL + "  partitions: [1, 2]\n").hasMessage("kafka.partitions: expected a whole number from 1 to 10000");
        refuses(MINIMAL + "  idempotence: maybe\n").hasMessage("kafka.idempotence: expected true or false, got 'maybe'");
        refuses(MINIMAL + "projector:\n  aggregateTypes: patient\n")
            .hasMessage("projector.aggregateTypes: expected a list, e.g. [patient, practitioner]");
        refuses(MINIMAL + "sources: [{kind: commits, collection: [a]}]\n")
            .hasMessage("sources[0].collection: expected a single value");
    }
}
