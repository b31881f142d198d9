package dev.ferry.core.relay;

/**
 * What a relay instance is doing.
 *
 * @param role             leader, standby, failed or stopped
 * @param epoch            the lease epoch it leads in, or -1
 * @param published        events this instance has had acknowledged by the broker
 * @param deadLettered     malformed documents this instance sent to the dead-letter topic
 * @param oversized        of those, the changes too large for one broker record
 * @param checkpointSequence events covered by this instance's last checkpoint, or -1
 * @param failure          why it failed, or null
 * @param terms            how often this instance took over leadership (failovers to it, and its first election)
 */
public record RelayStatus(Role role, long epoch, long published, long deadLettered, long oversized,
                          long checkpointSequence,
                          String failure, long terms) {

    public enum Role { LEADER, STANDBY, FAILED, STOPPED }
}
