package dev.ferry.local.demo;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * The demo's progress, one line redrawn in place. On a terminal, anything else written to stderr meanwhile (the
 * services' log lines) would land after the line's text and break it; so while {@link #keepWhole()} is open, stderr
 * goes through this: the line is cleared before another writer's output and drawn again after its newline. Elsewhere
 * (a pipe, a file, a test) the line is drawn as before and stderr is left alone.
 */
public final class ProgressLine {

    private static final String CLEAR_LINE = "\r\033[K";

    private final PrintStream out;
    private final boolean terminal;
    private String current = "";
    private boolean othersMidLine;

    public ProgressLine(PrintStream out) {
        this.out = out;
        this.terminal = System.console() != null;
    }

    /** Leaves the line as it is and moves below it: nothing redraws it after this. */
    public synchronized void end() {
        current = "";
        out.println();
        out.flush();
    }

    /** Routes stderr through this line until closed (on a terminal only; log4j's console appender follows stderr). */
    public AutoCloseable keepWhole() {
        if (!terminal) {
            return () -> { };
        }
        PrintStream previous = System.err;
        System.setErr(new PrintStream(new OthersOutput(), true));
        return () -> System.setErr(previous);
    }

    public synchronized void show(String text) {
        current = text;
        if (!othersMidLine) { // otherwise it is drawn after their newline
            out.print((terminal ? CLEAR_LINE : "\r") + text);
            out.flush();
        }
    }

    /** stderr of everything else: clears the progress line before a line starts, redraws it after the line ends. */
    private final class OthersOutput extends OutputStream {

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            synchronized (ProgressLine.this) {
                if (length == 0) {
                    return;
                }
                if (!othersMidLine) {
                    out.print(CLEAR_LINE);
                    othersMidLine = true;
                }
                out.write(bytes, offset, length);
                if (bytes[offset + length - 1] == '\n') {
                    othersMidLine = false;
                    out.print(current);
                }
                out.flush();
            }
        }
    }
}
