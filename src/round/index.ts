/**
 * The round loop (train, announce, fetch, aggregate, record) and what it needs: the inbox that
 * judges announcements, peer sampling, the RoundNetwork seam and its in-process twin.
 * No libp2p import in this room: the daemon hands it a RoundNetwork.
 */
export { RoundLoop } from './round-loop.ts'
export type { CatchUpTrace, LocalTrainer, PeerInput, RoundLoopComponents, RoundLoopInit, RoundSummary, RoundTrace } from './round-loop.ts'
export { MAX_ANNOUNCERS_PER_ROUND, MAX_EVIDENCE, MAX_TRACKED_PEERS, RoundInbox } from './round-inbox.ts'
export type { EquivocationEvidence, InboxVerdict, RoundInboxInit } from './round-inbox.ts'
export { PeerSample } from './peer-sample.ts'
export type { AnnouncementOutcome, AnnouncementVerdict, RoundNetwork } from './round-network.ts'
export { RECENT_PAYLOADS } from './round-network.ts'
export { InProcessNetwork } from './in-process-network.ts'
export { componentLogger, silentLogger } from './logger.ts'
export { wallClock } from './round-clock.ts'
export { deadlineSignal } from './deadline-signal.ts'
export type { DeadlineSignal } from './deadline-signal.ts'
export type { RoundClock } from './round-clock.ts'
export type { LogFields, Logger } from './logger.ts'
export { MAX_VERIFIED_ANNOUNCEMENTS, VerifiedAnnouncements } from './verified-announcements.ts'
export type { VerifiedAnnouncementsInit } from './verified-announcements.ts'
export type { InProcessTraffic } from './in-process-network.ts'
export { PEERS_PER_HOP, REANNOUNCE_DEADLINE_FRACTION, REANNOUNCE_FIRST_MS, REANNOUNCE_MAX_MS, START_WAIT_GAP_FACTOR, START_WAIT_SETTLE_MS, STAND_IN_FRACTION, reannounceDelayMs, reannounceFirstMs, roundQuorum, sampleSize, scaledDeadlineMs, standInDelayMs, startWaitOver } from './round-scale.ts'
export type { StartWait } from './round-scale.ts'
export { PLAIN_ALIGNMENT_MEASURE, PeerAlignmentMemory, parsePeerAlignmentState, updateCosine } from './peer-alignment.ts'
export type { AlignmentMeasure, PeerAlignment, PeerAlignmentState } from './peer-alignment.ts'
