package dev.ferry.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every relative link in the README, the pages under {@code docs/} and ferry-embedded's README resolves: the file or
 * directory exists, and an {@code #anchor} into a Markdown page names one of its headings as GitHub makes the anchor
 * (github-slugger: lower case, punctuation dropped, each space a hyphen, {@code -1}, {@code -2} … for repeats). The
 * pages link into each other by section, so moving or renaming a section must not leave a link behind.
 */
class DocumentationLinksTest {

    /** The test runs in {@code ferry-app/}. */
    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

    @Test
    void everyRelativeLinkOfTheDocumentationResolves() {
        List<Path> pages = documentationPages(REPOSITORY);
        assertThat(pages).as("the documentation under " + REPOSITORY)
            .contains(REPOSITORY.resolve("README.md"), REPOSITORY.resolve("ferry-embedded/README.md"),
                REPOSITORY.resolve("docs/measured.md"));

        List<String> broken = pages.stream().flatMap(page -> brokenLinks(page, REPOSITORY).stream()).toList();

        assertThat(broken).as("broken links in the documentation (page:line: link: reason)").isEmpty();
    }

    @Test
    void aBrokenLinkIsReportedWithItsPageLineAndReason(@TempDir Path repository) throws IOException {
        Files.createDirectories(repository.resolve("docs"));
        Files.writeString(repository.resolve("docs/target.md"), """
            # Target
            ## Copy then stream (`initialLoad: copy`)
            ## Copy then stream (`initialLoad: copy`)
            ```
            # not a heading
            ```
            """);
        Files.writeString(repository.resolve("README.md"), """
            # Front door
            [fine](docs/target.md#copy-then-stream-initialload-copy-1) and [also fine](#front-door),
            [external](https://example.com/missing.md) and `[in code](missing.md)`
            [gone](docs/missing.md)
            [no such heading](docs/target.md#not-a-heading)

            ```bash
            [in a fence](nowhere.md)
            ```
            """);

        List<String> broken = brokenLinks(repository.resolve("README.md"), repository);

        assertThat(broken).containsExactly(
            "README.md:4: [gone](docs/missing.md): docs/missing.md does not exist",
            "README.md:5: [no such heading](docs/target.md#not-a-heading): docs/target.md has no heading with the "
                + "anchor #not-a-heading");
    }

    @Test
    void anchorsAreMadeAsGitHubMakesThem() {
        assertThat(anchors("""
            # Ferry
            ## Copy then stream (`initialLoad: copy`)
            ### Figures, production layout (`./ferry bench pipeline --json`, defaults)
            ## Limits (honest)
            ## NATS: a real nats-server as a child process
            ## The generic projection of `ferry project`
            ## Entities → replicas, `ferry_parked` and [a link](elsewhere.md)
            ## Operations
            ## Operations
            """)).containsExactly("ferry", "copy-then-stream-initialload-copy",
            "figures-production-layout-ferry-bench-pipeline---json-defaults", "limits-honest",
            "nats-a-real-nats-server-as-a-child-process", "the-generic-projection-of-ferry-project",
            "entities--replicas-ferry_parked-and-a-link", "operations", "operations-1");
    }

    /** README.md, ferry-embedded/README.md and every Markdown page under docs/. */
    private static List<Path> documentationPages(Path repository) {
        List<Path> pages = new ArrayList<>(List.of(repository.resolve("README.md"),
            repository.resolve("ferry-embedded/README.md")));
        try (Stream<Path> docs = Files.walk(repository.resolve("docs"))) {
            docs.filter(path -> path.toString().endsWith(".md")).sorted().forEach(pages::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pages;
    }

    /** Inline links and images, {@code [text](target "title")}, whose target has no scheme. */
    private static final Pattern INLINE_LINK = Pattern.compile("!?\\[([^\\]]*)\\]\\(\\s*<?([^)\\s>]*)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    /** Reference definitions, {@code [label]: target}. */
    private static final Pattern REFERENCE = Pattern.compile("^ {0,3}\\[([^\\]]+)\\]:\\s*<?([^\\s>]+)>?");
    private static final Pattern SCHEME = Pattern.compile("^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");

    /** One line per link of {@code page} that does not resolve: {@code page:line: [text](target): reason}. */
    private static List<String> brokenLinks(Path page, Path repository) {
        List<String> broken = new ArrayList<>();
        Map<Path, Set<String>> anchorsOf = new HashMap<>();
        List<String> lines = outsideFences(read(page));
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line == null) {
                continue;
            }
            String text = CODE_SPAN.matcher(line).replaceAll(span -> " ".repeat(span.group().length()));
            List<String[]> links = new ArrayList<>();
            Matcher inline = INLINE_LINK.matcher(text);
            while (inline.find()) {
                links.add(new String[] {line.substring(inline.start(), inline.end()), inline.group(2)});
            }
            Matcher reference = REFERENCE.matcher(text);
            if (reference.find()) {
                links.add(new String[] {line.substring(reference.start(), reference.end()), reference.group(2)});
            }
            for (String[] link : links) {
                String reason = problem(page, link[1], repository, anchorsOf);
                if (reason != null) {
                    broken.add(relative(repository, page) + ":" + (i + 1) + ": " + link[0] + ": " + reason);
                }
            }
        }
        return broken;
    }

    /** Why {@code target}, linked from {@code page}, does not resolve; null if it does or is not relative. */
    private static String problem(Path page, String target, Path repository, Map<Path, Set<String>> anchorsOf) {
        if (target.isEmpty()) {
            return "the link has no target";
        }
        if (SCHEME.matcher(target).find()) {
            return null; // another site: not checked here
        }
        int hash = target.indexOf('#');
        String path = URLDecoder.decode(hash < 0 ? target : target.substring(0, hash), UTF_8);
        String anchor = hash < 0 ? null : URLDecoder.decode(target.substring(hash + 1), UTF_8);
        Path resolved = path.isEmpty() ? page : page.getParent().resolve(path).normalize();
        if (!resolved.startsWith(repository)) {
            return path + " is outside the repository";
        }
        if (!Files.exists(resolved)) {
            return relative(repository, resolved) + " does not exist";
        }
        if (anchor == null || anchor.isEmpty() || !resolved.toString().endsWith(".md")) {
            return null; // no anchor, or one into a file GitHub anchors otherwise (a source file's #L12)
        }
        Set<String> anchors = anchorsOf.computeIfAbsent(resolved, file -> anchors(read(file)));
        return anchors.contains(anchor) ? null
            : relative(repository, resolved) + " has no heading with the anchor #" + anchor;
    }

    /** The anchors GitHub gives the headings of a Markdown text, in order, and those of explicit HTML anchors. */
    static Set<String> anchors(String markdown) {
        Pattern heading = Pattern.compile("^ {0,3}#{1,6}(?:\\s+(.*?))?(?:\\s+#+)?\\s*$");
        Pattern html = Pattern.compile("<a\\s+(?:name|id)=\"([^\"]+)\"");
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> occurrences = new HashMap<>();
        for (String line : outsideFences(markdown)) {
            if (line == null) {
                continue;
            }
            Matcher h = heading.matcher(line);
            if (h.matches()) {
                String base = slug(h.group(1) == null ? "" : h.group(1));
                String slug = base;
                // github-slugger: a repeated slug gets -1, -2, …, skipping any already taken
                while (occurrences.containsKey(slug)) {
                    int next = occurrences.merge(base, 1, Integer::sum);
                    slug = base + "-" + next;
                }
                occurrences.put(slug, 0);
                anchors.add(slug);
            }
            Matcher a = html.matcher(line);
            while (a.find()) {
                anchors.add(a.group(1));
            }
        }
        return anchors;
    }

    /**
     * A heading's anchor as GitHub makes it from the heading's rendered text: code spans keep their text, links keep
     * theirs, HTML tags and emphasis markers go; then lower case, everything but letters, digits, marks, {@code _},
     * {@code -} and spaces dropped, each space a hyphen.
     */
    static String slug(String heading) {
        StringBuilder text = new StringBuilder();
        Matcher code = CODE_SPAN.matcher(heading);
        int at = 0;
        while (code.find()) {
            text.append(rendered(heading.substring(at, code.start()))).append(code.group(2).strip());
            at = code.end();
        }
        text.append(rendered(heading.substring(at)));
        return text.toString().toLowerCase(java.util.Locale.ROOT).replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "")
            .replace(' ', '-');
    }

    /** Markdown text outside code spans as it renders: links and images as their text, no tags or emphasis. */
    private static String rendered(String markdown) {
        return markdown.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1")
            .replaceAll("<[^>]+>", "")
            .replaceAll("(?<![\\p{L}\\p{N}])__?(\\S(?:.*?\\S)?)__?(?![\\p{L}\\p{N}])", "$1");
    }

    /** The lines of a Markdown text, null for those in fenced code blocks (fences included). */
    private static List<String> outsideFences(String markdown) {
        Pattern fence = Pattern.compile("^ {0,3}(`{3,}|~{3,})");
        List<String> lines = new ArrayList<>();
        String open = null;
        for (String line : markdown.split("\n", -1)) {
            Matcher f = fence.matcher(line);
            if (open == null && f.find()) {
                open = f.group(1);
                lines.add(null);
            } else if (open != null) {
                if (f.find() && f.group(1).charAt(0) == open.charAt(0) && f.group(1).length() >= open.length()
                    && line.strip().equals(f.group(1))) {
                    open = null;
                }
                lines.add(null);
            } else {
                lines.add(line);
            }
        }
        return lines;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String relative(Path repository, Path file) {
        return repository.relativize(file).toString().replace('\\', '/');
    }
}
