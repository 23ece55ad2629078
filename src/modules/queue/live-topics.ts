/**
 * Topics of live events (LiveEventsService) that cross module boundaries. They live here, beside the
 * transport, so that a module on the left (enrolment) can announce a change that a module on its
 * right (ranking) listens for without importing it.
 */

/** An entry's standing may have changed: marks, penalties, the panel, or the entry itself (absent, time used). */
export const STANDINGS_TOPIC = 'standings';

export type StandingsReason = 'marks' | 'penalty' | 'panel' | 'entry';

/** Payload of STANDINGS_TOPIC; `enrolmentIds` is absent when the whole competition may have moved. */
export type StandingsChange = {
  competitionId: string;
  enrolmentIds?: string[];
  reason: StandingsReason;
};
