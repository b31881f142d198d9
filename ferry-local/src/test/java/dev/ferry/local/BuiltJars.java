package dev.ferry.local;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The jars the multi-process tests start (each built by {@code mvn package}, before the ITs run): what a deployment
 * runs from the service jar, the embedded stack from this module's.
 */
public final class BuiltJars {

    /** ferry-app's service jar, the one the image carries: relay, project, replicate, status, parked. */
    public static final Path SERVICE = Path.of("..", "ferry-app", "target", "ferry.jar");

    /** This module's jar, the one {@code ./ferry} runs: the service commands plus demo, embedded and bench. */
    public static final Path LOCAL = Path.of("target", "ferry-local.jar");

    private static final Set<String> LOCAL_COMMANDS = Set.of("demo", "embedded", "bench");

    private BuiltJars() {
    }

    /** The jar that runs {@code ferry <command>}. */
    public static Path running(String command) {
        return LOCAL_COMMANDS.contains(command) ? LOCAL : SERVICE;
    }

    /** Where {@code type} was loaded from (a class directory or a jar), for a child process's class path. */
    public static Path locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
