package dev.ferry.engine;

import java.util.concurrent.atomic.AtomicLong;

/** What an instance has done, for its status. */
final class Counters {

    final AtomicLong applied = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong parked = new AtomicLong();
}
