import { Certificates1764800000000 } from '../../database/migrations/1764800000000-Certificates';
import { Certificate, CertificateSerialCounter } from './certificate.entity';

/** The certificates module's entities and migrations, listed in src/database/entities.ts. */
export const CERTIFICATES_ENTITIES: Function[] = [Certificate, CertificateSerialCounter];
export const CERTIFICATES_MIGRATIONS: Function[] = [Certificates1764800000000];
