package dev.ferry.postgres.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Configuration that would reach SQL is refused with a message naming what is wrong. */
class PostgresTableTest {

    @Test
    void aMappedColumnTakesTypesWithModifiersAndArrays() {
        assertThat(new MappedColumn("balance", "account.balance", " NUMERIC(12, 2) ").sqlType()).isEqualTo("numeric(12, 2)");
        assertThat(new MappedColumn("tags", "tags", "text[]").sqlType()).isEqualTo("text[]");
        assertThat(new MappedColumn("born", "born", "timestamp with time zone").path()).containsExactly("born");
    }

    @Test
    void aTypeThatIsNotATypeNameIsRefused() {
        assertThatThrownBy(() -> new MappedColumn("x", "x", "text); DROP TABLE patient; --"))
            .hasMessageContaining("sqlType").hasMessageContaining("is not a type name");
    }

    @Test
    void ferrysOwnColumnsCannotBeMapped() {
        assertThatThrownBy(() -> new MappedColumn("version", "v", "text")).hasMessageContaining("Ferry's own columns");
    }

    @Test
    void namesAreLowerCaseIdentifiers() {
        assertThatThrownBy(() -> new MappedColumn("First Name", "name", "text")).hasMessageContaining("column name 'First Name'");
        assertThatThrownBy(() -> new PostgresTable("patient", "Patients", List.of())).hasMessageContaining("table 'Patients'");
        assertThatThrownBy(() -> new MappedColumn("city", "address..city", "text")).hasMessageContaining("field 'address..city'");
    }

    @Test
    void aColumnMappedTwiceIsRefused() {
        MappedColumn city = new MappedColumn("city", "address.city", "text");
        assertThatThrownBy(() -> new PostgresTable("patient", "patient", List.of(city, city))).hasMessageContaining("twice");
    }

    @Test
    void aTargetNamesEachEntityOnce() {
        assertThatThrownBy(() -> new PostgresTarget("jdbc:postgresql://db/x", null, null, 4, Duration.ofDays(7),
            List.of(PostgresTable.of("patient"), new PostgresTable("patient", "patient2", List.of()))))
            .hasMessageContaining("entity patient has two tables");
        assertThatThrownBy(() -> new PostgresTarget("jdbc:mysql://db/x", null, null, 4, Duration.ofDays(7),
            List.of(PostgresTable.of("patient")))).hasMessageContaining("jdbcUrl");
    }
}
