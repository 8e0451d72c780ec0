/**
 * GIN companions of FerretDB's indexes, kept in step inside the launcher's PostgreSQL.
 *
 * FerretDB 1.24 pushes an equality filter down as `_jsonb->$1 @> $2` (dotted paths:
 * `_jsonb#>$1 @> $2`), while the indexes it creates are btree indexes on `(_jsonb -> 'field')`.
 * A btree cannot answer `@>`, so every lookup scans the whole table. A GIN index on the same
 * expression can. FerretDB creates its indexes whenever a service starts (createIndex, new
 * collections), long after `infra up`, so the companions are made by PostgreSQL itself: an event
 * trigger on `CREATE INDEX` adds one beside every btree index FerretDB creates (its `_id` index
 * included, which FerretDB creates as its own statement right after each CREATE TABLE), a
 * `sql_drop` trigger drops it with its index, and a sweep at `infra up` catches up on indexes
 * that existed before the triggers did. Everything lives in the `ferretdb` database only (the
 * schema below); MongoDB 7 (compose, production) plans `_id` and declared indexes by itself.
 */
import { createHash } from 'node:crypto';

/**
 * Our own schema: FerretDB treats a schema as a MongoDB database only when it holds its
 * `_ferretdb_database_metadata` table, so this one stays invisible to MongoDB clients, and a
 * dropped MongoDB database named `public` cannot take the functions with it.
 */
export const GIN_COMPANION_SCHEMA = 'foodxchange_infra';
export const GIN_CREATE_TRIGGER = 'foodxchange_gin_companions_on_create';
export const GIN_DROP_TRIGGER = 'foodxchange_gin_companions_on_drop';

/**
 * The companion's name: FerretDB's index names end in `_idx`, ours in `_gin`, so FerretDB never
 * picks a name we took (it checks only its own metadata for clashes). The md5 keeps two long
 * parent names with the same first 50 characters apart within PostgreSQL's 63-byte limit.
 */
export function ginCompanionName(parentIndex: string): string {
  return `${parentIndex.slice(0, 50)}_${md5Hex(parentIndex).slice(0, 8)}_gin`;
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * Installed (CREATE OR REPLACE) on every `up`, in one transaction, so a newer launcher updates
 * the functions of a cluster an older one set up. Plain SQL + plpgsql, run as `postgres`.
 */
export const GIN_COMPANIONS_INSTALL_SQL = String.raw`
CREATE SCHEMA IF NOT EXISTS ${GIN_COMPANION_SCHEMA};

-- Same rule as ginCompanionName() in TypeScript.
CREATE OR REPLACE FUNCTION ${GIN_COMPANION_SCHEMA}.gin_companion_name(parent_index name) RETURNS name
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT (left(parent_index, 50) || '_' || left(md5(parent_index), 8) || '_gin')::name
$fn$;

-- The CREATE INDEX statement of the companion of one btree index of a FerretDB collection, or
-- NULL when that index is not one (another access method, FerretDB's own metadata table, a
-- capped collection's record-id key, a schema FerretDB does not use) or it has its companion.
CREATE OR REPLACE FUNCTION ${GIN_COMPANION_SCHEMA}.gin_companion_ddl(parent_index oid) RETURNS text
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  parent record;
  column_number int;
  column_expression text;
  path_keys text[];
  rebuilt text;
  companion_columns text[] := '{}';
BEGIN
  SELECT index_class.relname AS index_name, table_class.relname AS table_name, namespace.nspname AS schema_name,
         access_method.amname AS access_method, pg_index.indnkeyatts AS key_columns, pg_index.indrelid AS table_oid
    INTO parent
    FROM pg_index
    JOIN pg_class index_class ON index_class.oid = pg_index.indexrelid
    JOIN pg_class table_class ON table_class.oid = pg_index.indrelid
    JOIN pg_namespace namespace ON namespace.oid = table_class.relnamespace
    JOIN pg_am access_method ON access_method.oid = index_class.relam
   WHERE pg_index.indexrelid = parent_index;
  IF NOT FOUND OR parent.access_method <> 'btree' OR parent.table_name LIKE '\_ferretdb\_%' THEN
    RETURN NULL;
  END IF;
  -- A FerretDB database is a schema holding its metadata table; a collection is a table of it
  -- with the jsonb column _jsonb.
  IF to_regclass(format('%I.%I', parent.schema_name, '_ferretdb_database_metadata')) IS NULL
     OR NOT EXISTS (SELECT 1 FROM pg_attribute
                     WHERE attrelid = parent.table_oid AND attname = '_jsonb' AND atttypid = 'jsonb'::regtype AND NOT attisdropped) THEN
    RETURN NULL;
  END IF;
  IF to_regclass(format('%I.%I', parent.schema_name, ${GIN_COMPANION_SCHEMA}.gin_companion_name(parent.index_name))) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  FOR column_number IN 1..parent.key_columns LOOP
    -- FerretDB writes (_jsonb -> 'a') for field a and ((_jsonb -> 'a') -> 'b') for a.b, which
    -- PostgreSQL prints back as below; anything else is not an index FerretDB made.
    column_expression := pg_get_indexdef(parent_index, column_number, true);
    path_keys := ARRAY(SELECT replace(match[1], '''''', '''')
                         FROM regexp_matches(column_expression, ' -> ''((?:[^'']|'''')*)''::text\)', 'g') AS match);
    IF cardinality(path_keys) = 0 THEN
      RETURN NULL;
    END IF;
    SELECT repeat('(', cardinality(path_keys)) || '_jsonb' || string_agg(' -> ''' || replace(path_key, '''', '''''') || '''::text)', '' ORDER BY position)
      INTO rebuilt
      FROM unnest(path_keys) WITH ORDINALITY AS keys(path_key, position);
    IF rebuilt IS DISTINCT FROM column_expression THEN
      RETURN NULL;
    END IF;
    -- The expression FerretDB's filter uses: -> for a top-level field, #> with a text[] path
    -- for a dotted one (the planner matches index expressions literally).
    companion_columns := companion_columns || CASE
      WHEN cardinality(path_keys) = 1 THEN format('(_jsonb -> %L)', path_keys[1])
      ELSE format('(_jsonb #> %L::text[])', path_keys::text)
    END;
  END LOOP;
  -- One multi-column GIN per compound index: GIN serves a condition on any of its columns, so
  -- a filter on the first field alone uses it as well as one on all of them.
  -- fastupdate = off: GIN's default pending list holds new entries unsorted until a vacuum
  -- merges them (up to 4 MB), and every lookup reads all of it, so freshly written collections
  -- would again get slower with their size. One key per document is cheap to insert directly.
  RETURN format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin (%s) WITH (fastupdate = off)',
                ${GIN_COMPANION_SCHEMA}.gin_companion_name(parent.index_name), parent.schema_name, parent.table_name,
                array_to_string(companion_columns, ', '));
END
$fn$;

-- Creates the companion of one index. A failure is a warning, never an error: a missing
-- companion costs speed only, and FerretDB's own createIndex must not fail because of it.
CREATE OR REPLACE FUNCTION ${GIN_COMPANION_SCHEMA}.ensure_gin_companion(parent_index oid) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
  statement text;
BEGIN
  statement := ${GIN_COMPANION_SCHEMA}.gin_companion_ddl(parent_index);
  IF statement IS NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE statement;
  RETURN statement;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'foodxchange: no GIN companion for index %: %', parent_index::regclass, SQLERRM;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION ${GIN_COMPANION_SCHEMA}.gin_companions_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  command record;
BEGIN
  -- Runs in FerretDB's CREATE INDEX transaction: the companion exists exactly when its index
  -- does. Our own CREATE INDEX fires this trigger again; a GIN index is skipped.
  FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    PERFORM ${GIN_COMPANION_SCHEMA}.ensure_gin_companion(command.objid);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION ${GIN_COMPANION_SCHEMA}.gin_companions_on_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  dropped record;
BEGIN
  -- dropIndex: FerretDB drops its btree index by name; the companion goes with it so writes
  -- do not keep paying for an index nothing declares. Dropped tables and schemas (drop,
  -- dropDatabase) take their companions with them, so only DROP INDEX is handled.
  FOR dropped IN SELECT schema_name, object_name FROM pg_event_trigger_dropped_objects()
                  WHERE object_type = 'index' AND original AND object_name NOT LIKE '%\_gin' LOOP
    BEGIN
      EXECUTE format('DROP INDEX IF EXISTS %I.%I', dropped.schema_name, ${GIN_COMPANION_SCHEMA}.gin_companion_name(dropped.object_name));
    EXCEPTION WHEN OTHERS THEN
      -- A companion left behind only costs write time; FerretDB's dropIndex must not fail.
      RAISE WARNING 'foodxchange: GIN companion of index %.% not dropped: %', dropped.schema_name, dropped.object_name, SQLERRM;
    END;
  END LOOP;
END
$fn$;

-- The sweep at infra up: companions for indexes made before the triggers existed. A procedure,
-- so each companion commits on its own and no table stays locked for the whole sweep.
CREATE OR REPLACE PROCEDURE ${GIN_COMPANION_SCHEMA}.sweep_gin_companions(INOUT created int DEFAULT 0)
LANGUAGE plpgsql AS $fn$
DECLARE
  candidate record;
BEGIN
  created := 0;
  FOR candidate IN SELECT pg_index.indexrelid
                     FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid
                     JOIN pg_am ON pg_am.oid = pg_class.relam
                    WHERE pg_am.amname = 'btree' AND pg_class.relname LIKE '%\_idx'
                      AND pg_class.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  LOOP
    IF ${GIN_COMPANION_SCHEMA}.ensure_gin_companion(candidate.indexrelid) IS NOT NULL THEN
      created := created + 1;
    END IF;
    COMMIT;
  END LOOP;
  -- Companions made before fastupdate = off was part of their definition get it now, and
  -- their pending list merged.
  FOR candidate IN SELECT pg_class.oid AS companion
                     FROM pg_class JOIN pg_am ON pg_am.oid = pg_class.relam
                    WHERE pg_am.amname = 'gin' AND pg_class.relname LIKE '%\_gin'
                      AND to_regclass(format('%I.%I', pg_class.relnamespace::regnamespace, '_ferretdb_database_metadata')) IS NOT NULL
                      AND NOT coalesce(pg_class.reloptions @> ARRAY['fastupdate=off'], false)
  LOOP
    BEGIN
      EXECUTE format('ALTER INDEX %s SET (fastupdate = off)', candidate.companion::regclass);
      PERFORM gin_clean_pending_list(candidate.companion::regclass);
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'foodxchange: GIN companion % keeps fastupdate: %', candidate.companion::regclass, SQLERRM;
    END;
    COMMIT;
  END LOOP;
END
$fn$;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '${GIN_CREATE_TRIGGER}') THEN
    CREATE EVENT TRIGGER ${GIN_CREATE_TRIGGER} ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
      EXECUTE FUNCTION ${GIN_COMPANION_SCHEMA}.gin_companions_on_create();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '${GIN_DROP_TRIGGER}') THEN
    CREATE EVENT TRIGGER ${GIN_DROP_TRIGGER} ON sql_drop WHEN TAG IN ('DROP INDEX')
      EXECUTE FUNCTION ${GIN_COMPANION_SCHEMA}.gin_companions_on_drop();
  END IF;
END
$do$;
`;

export const GIN_COMPANIONS_SWEEP_SQL = `CALL ${GIN_COMPANION_SCHEMA}.sweep_gin_companions()`;
