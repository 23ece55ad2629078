import { IMPORT_CHUNK_MIN_ROWS, IMPORT_CHUNK_ROWS, IMPORT_CHUNK_TARGET_MS, nextChunkRows } from './enrolment-import.service';

describe('nextChunkRows (SQLite: chunks sized to hold the serial lock for about IMPORT_CHUNK_TARGET_MS)', () => {
  it('scales the last chunk to the target from its pace', () => {
    expect(nextChunkRows(10, IMPORT_CHUNK_TARGET_MS / 4)).toBe(40);
    expect(nextChunkRows(100, IMPORT_CHUNK_TARGET_MS * 2)).toBe(50);
    expect(nextChunkRows(60, IMPORT_CHUNK_TARGET_MS)).toBe(60);
  });

  it('never goes above IMPORT_CHUNK_ROWS nor below IMPORT_CHUNK_MIN_ROWS', () => {
    expect(nextChunkRows(10, 0.5)).toBe(IMPORT_CHUNK_ROWS);
    expect(nextChunkRows(250, 60_000)).toBe(IMPORT_CHUNK_MIN_ROWS);
  });

  it('takes the largest chunk when the last one took no measurable time', () => {
    expect(nextChunkRows(10, 0)).toBe(IMPORT_CHUNK_ROWS);
  });
});
