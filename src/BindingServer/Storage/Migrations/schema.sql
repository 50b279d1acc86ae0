CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
    "MigrationId" TEXT NOT NULL CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY,
    "ProductVersion" TEXT NOT NULL
);

BEGIN TRANSACTION;
CREATE TABLE "changes" (
    "revision" INTEGER NOT NULL CONSTRAINT "PK_changes" PRIMARY KEY,
    "key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "body" BLOB NOT NULL
);

CREATE TABLE "objects" (
    "key" TEXT COLLATE BINARY NOT NULL CONSTRAINT "PK_objects" PRIMARY KEY,
    "revision" INTEGER NOT NULL,
    "body" BLOB NOT NULL
);

CREATE TABLE "revision" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_revision" PRIMARY KEY,
    "current" INTEGER NOT NULL,
    "compacted" INTEGER NOT NULL
);

INSERT INTO "revision" ("id", "compacted", "current")
VALUES (1, 0, 1);
SELECT changes();


CREATE INDEX "IX_changes_key_revision" ON "changes" ("key", "revision");

INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261123015025_InitialStore', '10.0.15');

COMMIT;

