import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Trim } from '../../../common/validation';
import { ENROLMENT_STATUSES, EnrolmentStatus } from '../../competitions/domain/competition.types';

export class NewWorkerDto {
  @ApiProperty({ example: '李建国' }) @Trim() @IsString() @Length(1, 50) name: string;
  @ApiProperty({ example: '330802199001011234' }) @IsString() @Length(1, 32) idNumber: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^\+?[0-9-]{5,20}$/, { message: 'worker.phone must be 5 to 20 digits' }) phone?: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() employerOrgId: string;
  @ApiPropertyOptional() @IsOptional() @Trim() @IsString() @Length(1, 50) trade?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 5 }) @IsOptional() @IsInt() @Min(1) @Max(5) skillLevel?: number;
}

/** `{}` for a worker enrolling itself; `{workerId}` or `{worker:{…}}` for an organizer. */
export class CreateEnrolmentDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() workerId?: string;
  @ApiPropertyOptional({ type: NewWorkerDto }) @IsOptional() @ValidateNested() @Type(() => NewWorkerDto) worker?: NewWorkerDto;
}

export class DecisionDto {
  @ApiProperty({ enum: ['approve', 'reject'] }) @IsIn(['approve', 'reject']) decision: 'approve' | 'reject';
  @ApiPropertyOptional({ description: 'required to reject' }) @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

export class UpdateEnrolmentDto {
  @ApiPropertyOptional({ enum: ['absent', 'disqualified'] }) @IsOptional() @IsIn(['absent', 'disqualified']) status?: 'absent' | 'disqualified';
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) reason?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(7 * 24 * 3600) timeUsedSeconds?: number;
}

export class DrawDto {
  @ApiPropertyOptional({ description: 'the same seed gives the same draw' }) @IsOptional() @IsString() @Length(1, 100) seed?: string;
}

export class ListEnrolmentsQuery {
  @IsOptional() @IsIn(ENROLMENT_STATUSES) status?: EnrolmentStatus;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
}
