import { Injectable } from '@nestjs/common';
import type { AwardListener, CertificateInfoProvider } from './awards.hooks';

/** Skeleton: the award registry hooks; the rest of the service is built by the awards work. */
@Injectable()
export class AwardsService {
  private readonly listeners: AwardListener[] = [];
  private certificateInfo?: CertificateInfoProvider;

  registerListener(l: AwardListener): void {
    this.listeners.push(l);
  }

  registerCertificateInfoProvider(p: CertificateInfoProvider): void {
    this.certificateInfo = p;
  }
}
