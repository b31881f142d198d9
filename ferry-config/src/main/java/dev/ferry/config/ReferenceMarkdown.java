package dev.ferry.config;

import java.util.List;

/** Writes the configuration reference's sections as Markdown: a table of settings under each heading. */
final class ReferenceMarkdown {

    private static final String REGENERATE = "mvn -q -pl ferry-config -am test "
        + "-Dtest=ConfigurationReferenceTest -Dsurefire.failIfNoSpecifiedTests=false; "
        + "cp ferry-config/target/configuration-reference.md docs/";

    /** The command that writes the reference again, from the repository's root. */
    static String regenerate() {
        return REGENERATE;
    }

    String render(List<ConfigurationReference.Section> sections) {
        StringBuilder out = new StringBuilder();
        out.append("# Configuration reference\n\n")
            .append("<!-- Generated from the configuration records of ferry-config (dev.ferry.config) by ")
            .append("ConfigurationReference: edit the records' @JsonPropertyDescription, not this file. ")
            .append("ConfigurationReferenceTest fails while it is stale; to write it again: ")
            .append(REGENERATE).append(" -->\n\n")
            .append(introduction());
        for (ConfigurationReference.Section section : sections) {
            out.append(out.toString().endsWith("\n\n") ? "" : "\n").append("#".repeat(section.level())).append(" ").append(section.title()).append("\n\n");
            if (section.text() != null && !section.text().isEmpty()) {
                out.append(section.text()).append("\n\n");
            }
            if (!section.settings().isEmpty()) {
                table(section.settings(), out);
            }
        }
        return out.toString();
    }

    private static String introduction() {
        String legacy = "mongodb." + LegacyShape.EVENTS_COLLECTION;
        return "Ferry's commands read one YAML file (`--config`, `-c`), then the environment. Every key is listed "
            + "below, with its type, the default that applies when the file leaves it out, and the environment "
            + "variable that overrides it:\n\n"
            + "- The *environment* column names the variable that overrides a key (`section.someKey`: "
            + "`FERRY_SECTION_SOME_KEY`); a list takes a comma-separated value. Mappings and the lists of mappings "
            + "(`sources`, `targets`) are set in the file only.\n"
            + "- Any value may refer to an environment variable as `${NAME}`: keep secrets out of the file.\n"
            + "- A duration is a whole number and a unit: `500ms`, `30s`, `2m`, `12h`, `7d`. A boolean is `true` or "
            + "`false` (also `yes`/`no`, `on`/`off`).\n"
            + "- A wrong, unknown or missing key prints one line naming it (`kafka.partitions`, "
            + "`sources[1].collection`) and what is expected, and the command exits with status 2.\n"
            + "- Files written before `sources` existed still load: `" + legacy + ": X` (or `"
            + EnvironmentOverrides.variableFor("mongodb", LegacyShape.EVENTS_COLLECTION) + "`) means "
            + "`sources: [{kind: commits, collection: X}]`; giving it together with `sources` is refused.\n\n"
            + "Examples: [`config/local.yml`](../config/local.yml) (the embedded stack), "
            + "[`config/atlas-kafka.yml`](../config/atlas-kafka.yml), "
            + "[`config/atlas-eventhubs.yml`](../config/atlas-eventhubs.yml).\n";
    }

    private static void table(List<ConfigurationReference.Setting> settings, StringBuilder out) {
        boolean variables = settings.stream().anyMatch(setting -> setting.variable() != null);
        out.append(variables ? "| key | type | default | environment | description |\n|---|---|---|---|---|\n"
            : "| key | type | default | description |\n|---|---|---|---|\n");
        for (ConfigurationReference.Setting setting : settings) {
            out.append("| `").append(setting.key()).append("` | ").append(cell(setting.type())).append(" | ")
                .append(cell(setting.defaultValue())).append(" | ");
            if (variables) {
                out.append(setting.variable() == null ? "" : "`" + setting.variable() + "`").append(" | ");
            }
            out.append(cell(setting.description())).append(" |\n");
        }
    }

    private static String cell(String text) {
        return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
    }
}
