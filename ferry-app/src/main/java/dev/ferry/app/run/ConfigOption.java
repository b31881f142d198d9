package dev.ferry.app.run;

import java.nio.file.Path;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import picocli.CommandLine.Option;

/** The {@code --config} option every service command takes. */
public final class ConfigOption {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
        description = "YAML configuration (see config/*.yml); every setting can be overridden by FERRY_SECTION_KEY")
    Path file;

    public FerryConfig load() {
        return new ConfigLoader(System.getenv()).load(file);
    }
}
