import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { Trim } from '../../../common/validation';
import { Role, ROLES } from '../domain/roles';

const USERNAME = /^[A-Za-z0-9_.-]{3,64}$/;

export class LoginDto {
  @ApiProperty() @IsString() @Length(1, 64) username: string;
  @ApiProperty() @IsString() @Length(1, 128) password: string;
}

export class RegisterWorkerDto {
  @ApiProperty({ example: 'zhangxm' })
  @Matches(USERNAME, { message: 'username must be 3 to 64 letters, digits, ".", "_" or "-"' })
  username: string;

  @ApiProperty({ minLength: 8 }) @IsString() @Length(8, 128) password: string;

  @ApiProperty({ example: '张小明' }) @Trim() @IsString() @Length(1, 50) name: string;

  @ApiProperty({ example: '330802199001011234', description: 'PRC resident ID number (18 characters)' })
  @IsString()
  @Length(1, 32)
  idNumber: string;

  @ApiPropertyOptional({ example: '13800001234' })
  @IsOptional()
  @Matches(/^\+?[0-9-]{5,20}$/, { message: 'phone must be 5 to 20 digits' })
  phone?: string;

  @ApiProperty({ format: 'uuid' }) @IsUUID() employerOrgId: string;

  @ApiPropertyOptional({ example: '电工' }) @IsOptional() @Trim() @IsString() @Length(1, 50) trade?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 5, description: '职业技能等级: 1 (高级技师) … 5 (初级工)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(5)
  skillLevel?: number;
}

export class CreateUserDto {
  @ApiProperty()
  @Matches(USERNAME, { message: 'username must be 3 to 64 letters, digits, ".", "_" or "-"' })
  username: string;

  @ApiProperty({ minLength: 8 }) @IsString() @Length(8, 128) password: string;
  @ApiProperty() @Trim() @IsString() @Length(1, 100) displayName: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles: Role[];

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() organizationId?: string;
}
