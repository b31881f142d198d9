package dev.ferry.it.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Node.js project whose scripts the tests run: {@code node} must be on the PATH and the project's {@code npm ci} done
 * (.ci/run does it); otherwise the test fails naming the install step, never skips.
 *
 * @param directory where it is, from ferry-it
 * @param name      where it is, from the repository's root (what the failure tells to {@code npm ci} in)
 */
public record NodeProject(Path directory, String name) {

    /** The Node.js client, {@code clients/node}. */
    public static final NodeProject CLIENT = new NodeProject(Path.of("..", "clients", "node"), "clients/node");

    /** The NestJS example, {@code examples/nestjs} (its tests also need its {@code npm run build}). */
    public static final NodeProject NESTJS_EXAMPLE = new NodeProject(Path.of("..", "examples", "nestjs"),
        "examples/nestjs");

    /** The plain driver's contract script, locked on its own. */
    public static final NodeProject DRIVER_CONTRACT = new NodeProject(Path.of("src", "test", "node", "driver-contract"),
        "ferry-it/src/test/node/driver-contract");

    /**
     * The {@code node} to run its scripts with, once each of {@code modules} is installed in it.
     *
     * @return the path of {@code node}
     */
    public String node(String... modules) {
        String node = onPath().orElseGet(() -> fail("Node.js 20.19 or later is needed for this test and `node` is not "
            + "on the PATH: install it, then run `npm ci` in " + name + " (.ci/run does the npm ci)"));
        for (String module : modules) {
            if (!Files.isRegularFile(directory.resolve(Path.of("node_modules", module, "package.json")))) {
                fail("the Node.js packages of " + name + " are not installed (" + module + " is missing): run `npm ci` "
                    + "in " + name + " (.ci/run does)");
            }
        }
        return node;
    }

    private static Optional<String> onPath() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        return Stream.of(path.split(File.pathSeparator)).map(dir -> Path.of(dir, "node"))
            .filter(Files::isExecutable).map(Path::toString).findFirst();
    }
}
