package dev.ferry.nats;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;

/** Routes the client's asynchronous errors to slf4j instead of standard error. */
final class QuietErrorListener implements ErrorListener {

    private static final Logger log = LoggerFactory.getLogger(QuietErrorListener.class);

    @Override
    public void errorOccurred(Connection conn, String error) {
        log.warn("NATS: {}", error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        log.debug("NATS: {}", exp.toString());
    }

    /** A pull that went quiet: lost with a server restart, or dropped by the server; the client pulls again. */
    @Override
    public void heartbeatAlarm(Connection conn, JetStreamSubscription sub, long lastStreamSequence,
                               long lastConsumerSequence) {
        log.info("NATS: no heartbeat for consumer {} after stream sequence {}: pulling again", sub.getConsumerName(),
            lastStreamSequence);
    }
}
