import { Module } from '@nestjs/common';
import { AwardsModule } from '../awards/awards.module';
import { CompetitionsModule } from '../competitions/competitions.module';
import { AuditModule } from '../audit/audit.module';
import { CertificateRenderService } from './certificate-render.service';
import { CertificateSignerProvider } from './certificate-signer.provider';
import { CertificatesController, PublicCertificatesController } from './certificates.controller';
import { CertificatesService } from './certificates.service';
import { VerifyPageController } from './pages/verify-page.controller';

@Module({
  imports: [AwardsModule, CompetitionsModule, AuditModule],
  controllers: [CertificatesController, PublicCertificatesController, VerifyPageController],
  providers: [CertificateSignerProvider, CertificatesService, CertificateRenderService],
  exports: [CertificatesService, CertificateRenderService],
})
export class CertificatesModule {}
