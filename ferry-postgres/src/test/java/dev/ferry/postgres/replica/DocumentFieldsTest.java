package dev.ferry.postgres.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class DocumentFieldsTest {

    private static final String DOCUMENT = "{\"_id\": {\"$oid\": \"6650f1a2b3c4d5e6f7a8b9c0\"}, \"name\": \"Ada\", "
        + "\"visits\": {\"$numberLong\": \"3\"}, \"age\": {\"$numberInt\": \"36\"}, \"balance\": {\"$numberDecimal\": \"12.50\"}, "
        + "\"born\": {\"$date\": {\"$numberLong\": \"1700000000123\"}}, \"active\": true, \"nothing\": null, "
        + "\"address\": {\"city\": \"London\", \"zip\": {\"$numberInt\": \"1\"}}, "
        + "\"phones\": [\"111\", \"222\"], \"tags\": [[\"a\"], {\"$numberLong\": \"2\"}], \"photo\": {\"$binary\": {\"base64\": \"AQI=\", \"subType\": \"00\"}}}";

    @Test
    void typeWrappersGiveTheirValue() {
        assertThat(text("_id")).isEqualTo("6650f1a2b3c4d5e6f7a8b9c0");
        assertThat(text("visits")).isEqualTo("3");
        assertThat(text("age")).isEqualTo("36");
        assertThat(text("balance")).isEqualTo("12.50");
    }

    @Test
    void aDateIsItsInstantInUtc() {
        assertThat(text("born")).isEqualTo("2023-11-14T22:13:20.123Z");
    }

    @Test
    void plainValuesAreTheirText() {
        assertThat(text("name")).isEqualTo("Ada");
        assertThat(text("active")).isEqualTo("true");
        assertThat(text("nothing")).isNull();
    }

    @Test
    void pathsGoIntoDocumentsAndArrays() {
        assertThat(text("address.city")).isEqualTo("London");
        assertThat(text("address.zip")).isEqualTo("1");
        assertThat(text("phones.1")).isEqualTo("222");
    }

    @Test
    void anythingElseIsItsExtendedJson() {
        assertThat(text("tags")).isEqualTo("[[\"a\"], {\"$numberLong\": \"2\"}]");
        assertThat(text("photo")).isEqualTo("{\"$binary\": {\"base64\": \"AQI=\", \"subType\": \"00\"}}");
        assertThat(text("address")).isEqualTo("{\"city\": \"London\", \"zip\": {\"$numberInt\": \"1\"}}");
    }

    @Test
    void aMissingFieldIsNull() {
        assertThat(text("missing")).isNull();
        assertThat(text("name.first")).isNull();
        assertThat(text("phones.5")).isNull();
        assertThat(text("address.city.x")).isNull();
    }

    private static String text(String field) {
        return DocumentFields.text(DOCUMENT, List.of(field.split("\\.")));
    }
}
