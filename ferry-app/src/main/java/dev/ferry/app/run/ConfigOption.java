package dev.ferry.app.run;

import java.nio.file.Path;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code --config} option every service command takes; a command's subcommands inherit it, so it may follow
 * them ({@code ferry relay copy --source s -c ferry.yml}).
 */
public final class ConfigOption {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", scope = ScopeType.INHERIT,
        description = "YAML configuration (see config/*.yml); every setting can be overridden by FERRY_SECTION_KEY")
    Path file;

    public FerryConfig load() {
        return new ConfigLoader(System.getenv()).load(file);
    }
}
