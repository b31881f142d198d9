package dev.ferry.mongodb.changestream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.ferry.core.relay.spi.ResumeToken;

/** A resume token's cluster time and place within a transaction are read from its KeyString, or not at all. */
class ResumeTokenFieldsTest {

    /** A real server's token (MongoDB 5.0, version 1): cluster time 1630438675/1, txnOpIndex 0. */
    private static final String REAL = "82612E8513000000012B022C0100296E5A1004A5093ABB38FE4B9EA67F01BB1A96D812463C5F"
        + "6964003C5F5F5F78000004";

    @Test
    void aRealServersTokenGivesItsClusterTimeAndTransactionIndex() {
        ResumeToken token = token(REAL);

        assertThat(ResumeTokenFields.clusterTime(token)).contains(new ResumeTokenFields.ClusterTime(1630438675L, 1));
        assertThat(ResumeTokenFields.transactionIndex(token)).hasValue(0);
    }

    @Test
    void theIndexOfAChangeInsideATransactionIsRead() {
        // The same token with txnOpIndex 7 (KeyString: one-byte positive integer 7 << 1 = 0x0e) and 300 (2 bytes).
        assertThat(ResumeTokenFields.transactionIndex(token(REAL.replace("2C0100296E", "2C01002B0E6E")))).hasValue(7);
        assertThat(ResumeTokenFields.transactionIndex(token(REAL.replace("2C0100296E", "2C01002C02586E"))))
            .hasValue(300);
    }

    @Test
    void aTokenOfTheFirstFormatHasNoTokenTypeBeforeTheIndex() {
        // version 0: cluster time, version, txnOpIndex
        assertThat(ResumeTokenFields.transactionIndex(token("82612E851300000001292B06"))).hasValue(3);
    }

    @Test
    void aTokenThatEndsAfterItsClusterTimeHasATimeButNoIndex() {
        ResumeToken token = token("8200000065000000ff");

        assertThat(ResumeTokenFields.clusterTime(token)).contains(new ResumeTokenFields.ClusterTime(0x65, 0xff));
        assertThat(ResumeTokenFields.transactionIndex(token)).isEmpty();
    }

    @Test
    void anythingElseGivesNothing() {
        assertThat(ResumeTokenFields.clusterTime(new ResumeToken("{\"_data\": \"01\"}"))).isEmpty();
        assertThat(ResumeTokenFields.clusterTime(new ResumeToken("{\"other\": 1}"))).isEmpty();
        assertThat(ResumeTokenFields.transactionIndex(token("82612E8513000000013C"))).isEmpty();
    }

    private static ResumeToken token(String data) {
        return new ResumeToken("{\"_data\": \"" + data + "\"}");
    }
}
