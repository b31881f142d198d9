package dev.ferry.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

class LocalFerryCommandTest {

    @Test
    void offersTheServiceCommandsAndTheLocalOnes() {
        StringWriter out = new StringWriter();
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
            "--help");

        assertThat(status).isZero();
        for (String command : new String[] {"relay", "project", "replicate", "status", "parked", "demo", "embedded",
            "bench"}) {
            assertThat(out.toString()).as("the usage lists %s", command).containsPattern("(?m)^  " + command + "\\b");
        }
    }

    @Test
    void runsALocalCommand() {
        StringWriter out = new StringWriter();
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
            "embedded", "--help");

        assertThat(status).isZero();
        assertThat(out.toString()).contains("--self-test");
    }
}
