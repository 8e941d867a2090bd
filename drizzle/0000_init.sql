CREATE TABLE "admins" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text DEFAULT 'admin' NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"key_prefix" text NOT NULL,
	"path_prefix" text DEFAULT '/api/haplo-user-sync/' NOT NULL,
	"scope" text DEFAULT 'upload' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "control_files" (
	"id" serial PRIMARY KEY NOT NULL,
	"digest" text NOT NULL,
	"content" text NOT NULL,
	"expected_files" text[] NOT NULL,
	"comment" text,
	"uploaded_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"managed" boolean DEFAULT false NOT NULL,
	"profile_type" text,
	"past_profile_type" text,
	"position" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memberships" (
	"user_id" bigint NOT NULL,
	"group_id" integer NOT NULL,
	"added_by" text NOT NULL,
	"added_run_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "memberships_user_id_group_id_pk" PRIMARY KEY("user_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "objects" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"types" text[] NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"behaviour" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "received_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"run_id" integer NOT NULL,
	"file_name" text,
	"record_number" integer,
	"raw_digest" bigint NOT NULL,
	"raw" text NOT NULL,
	"mapped" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"user_id" bigint NOT NULL,
	"username" text NOT NULL,
	"action" text NOT NULL,
	"before" jsonb
);
--> statement-breakpoint
CREATE TABLE "run_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"seq" bigint NOT NULL,
	"level" text NOT NULL,
	"action" text NOT NULL,
	"username" text,
	"message" text NOT NULL,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "run_files" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"name" text NOT NULL,
	"original_filename" text,
	"size" bigint NOT NULL,
	"digest" text NOT NULL,
	"replaceable" boolean DEFAULT false NOT NULL,
	"record_count" integer,
	"removed_at" timestamp with time zone,
	"removed_reason" text,
	"original_digest" text,
	"uploaded_via" text,
	"uploaded_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"kind" text DEFAULT 'feed' NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"source" text,
	"control_file_id" integer,
	"based_on_run_id" integer,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error_count" integer DEFAULT 0 NOT NULL,
	"safety" jsonb,
	"message" text,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"applied_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"duration_ms" integer
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"admin_id" integer NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text
);
--> statement-breakpoint
CREATE TABLE "sftp_accounts" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"password_hash" text,
	"public_keys" text[] DEFAULT '{}'::text[] NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_ledger" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"digest" bigint NOT NULL,
	"raw_digest" bigint NOT NULL,
	"context" text,
	"in_feed" boolean DEFAULT true NOT NULL,
	"error" boolean DEFAULT false NOT NULL,
	"warned" boolean DEFAULT false NOT NULL,
	"absent_runs" integer DEFAULT 0 NOT NULL,
	"created_run_id" integer,
	"last_run_id" integer,
	"state_run_id" integer,
	"state_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"email" text,
	"name_first" text,
	"name_last" text,
	"title" text,
	"active" boolean DEFAULT true NOT NULL,
	"blocked_by" text,
	"blocked_at" timestamp with time zone,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"profile_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_blocked_by_check" CHECK ("users"."blocked_by" is null or "users"."blocked_by" in ('sync', 'admin'))
);
--> statement-breakpoint
ALTER TABLE "run_files" ADD CONSTRAINT "run_files_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_control_file_id_control_files_id_fk" FOREIGN KEY ("control_file_id") REFERENCES "public"."control_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_admin_id_admins_id_fk" FOREIGN KEY ("admin_id") REFERENCES "public"."admins"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "admins_username_key" ON "admins" USING btree ("username");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "control_files_digest_idx" ON "control_files" USING btree ("digest");--> statement-breakpoint
CREATE UNIQUE INDEX "groups_code_key" ON "groups" USING btree ("code");--> statement-breakpoint
CREATE INDEX "memberships_group_idx" ON "memberships" USING btree ("group_id");--> statement-breakpoint
CREATE UNIQUE INDEX "objects_behaviour_key" ON "objects" USING btree ("behaviour");--> statement-breakpoint
CREATE INDEX "received_records_username_idx" ON "received_records" USING btree ("username","id");--> statement-breakpoint
CREATE INDEX "run_changes_run_idx" ON "run_changes" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "run_changes_user_idx" ON "run_changes" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "run_events_run_seq_idx" ON "run_events" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "run_events_username_idx" ON "run_events" USING btree ("username","run_id","seq");--> statement-breakpoint
CREATE INDEX "run_events_run_level_seq_idx" ON "run_events" USING btree ("run_id","level","seq");--> statement-breakpoint
CREATE INDEX "run_events_run_action_seq_idx" ON "run_events" USING btree ("run_id","action","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "run_files_run_name_key" ON "run_files" USING btree ("run_id","name");--> statement-breakpoint
CREATE INDEX "run_files_digest_idx" ON "run_files" USING btree ("digest");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_created_idx" ON "runs" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sftp_accounts_name_key" ON "sftp_accounts" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_ledger_username_key" ON "sync_ledger" USING btree ("username");--> statement-breakpoint
CREATE INDEX "sync_ledger_error_idx" ON "sync_ledger" USING btree ("username") WHERE "sync_ledger"."error";--> statement-breakpoint
CREATE INDEX "sync_ledger_pending_idx" ON "sync_ledger" USING btree ("username") WHERE "sync_ledger"."in_feed" AND "sync_ledger"."absent_runs" > 0;--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_key" ON "users" USING btree ("username");--> statement-breakpoint
CREATE INDEX "users_email_idx" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "users_username_prefix_idx" ON "users" USING btree ("username" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "users_blocked_idx" ON "users" USING btree ("blocked_by","username") WHERE NOT "users"."active";--> statement-breakpoint
CREATE VIEW "public"."usersync_group_members" AS (SELECT m.user_id, u.username, m.group_id, g.code AS group_code, m.added_by, m.added_run_id, m.created_at
  FROM memberships m JOIN users u ON u.id = m.user_id JOIN groups g ON g.id = m.group_id);--> statement-breakpoint
CREATE VIEW "public"."usersync_groups" AS (SELECT g.id, g.code, g.title, g.managed, g.profile_type, g.past_profile_type FROM groups g);--> statement-breakpoint
CREATE VIEW "public"."usersync_profiles" AS (SELECT u.id AS user_id, u.username, o.id AS profile_id, o.types, o.title, o.attributes, o.version, o.updated_at
  FROM users u JOIN objects o ON o.id = u.profile_id);--> statement-breakpoint
CREATE VIEW "public"."usersync_users" AS (SELECT u.id, u.username, u.email, u.name_first, u.name_last, u.title, u.active, u.blocked_by, u.blocked_at, u.tags,
  u.profile_id, (l.user_id IS NOT NULL) AS managed_by_sync, l.in_feed, u.created_at, u.updated_at
  FROM users u LEFT JOIN sync_ledger l ON l.user_id = u.id);