import { Column, Entity } from 'typeorm';
import { CreatedAtColumn, UuidPrimaryColumn } from '../../database/columns';

/** Consumers record the events they have acted on: a job delivered twice is acted on once. */
@Entity('handled_events')
export class HandledEvent {
  @UuidPrimaryColumn() eventId: string;
  @Column({ type: 'varchar', length: 100 }) type: string;
  @Column({ type: 'integer', default: 1 }) deliveries: number;
  @CreatedAtColumn() createdAt: Date;
}
