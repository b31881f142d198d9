package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;

import org.junit.jupiter.api.Test;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

class FerryCommandTest {

    @Test
    void theServiceExecutableOffersTheServiceCommandsOnly() {
        StringWriter out = new StringWriter();
        int status = FerryCommand.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "--help");

        assertThat(status).isZero();
        for (String command : new String[] {"relay", "project", "replicate", "status", "parked"}) {
            assertThat(out.toString()).as("the usage lists %s", command).containsPattern("(?m)^  " + command + "\\b");
        }
        for (String command : new String[] {"demo", "embedded", "bench"}) {
            assertThat(out.toString()).as("ferry-local's %s", command).doesNotContainPattern("(?m)^  " + command + "\\b");
        }
    }

    @Test
    void addsTheCommandsItIsGiven() {
        StringWriter out = new StringWriter();
        int status = FerryCommand.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
            List.of(new Greeting()), "greet");

        assertThat(status).isZero();
        assertThat(out.toString()).isEqualTo("hello" + System.lineSeparator());
    }

    @Command(name = "greet")
    static final class Greeting implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println("hello");
            return 0;
        }
    }
}
