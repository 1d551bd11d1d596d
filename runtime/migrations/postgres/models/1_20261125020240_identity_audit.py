from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "login_throttle" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(8) NOT NULL,
    "key" VARCHAR(128) NOT NULL,
    "failures" INT NOT NULL,
    "first_failure_at" TIMESTAMPTZ NOT NULL,
    "locked_until" TIMESTAMPTZ,
    CONSTRAINT "uid_login_throt_kind_12207d" UNIQUE ("kind", "key")
);
COMMENT ON TABLE "login_throttle" IS 'Failed sign-ins counted per account and per client address, and the lock-out they cause.';
        CREATE TABLE IF NOT EXISTS "platform_grant" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "login" VARCHAR(64) NOT NULL,
    "role" VARCHAR(64) NOT NULL,
    "granted_by" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "uid_platform_gr_login_ffde19" UNIQUE ("login", "role")
);
COMMENT ON TABLE "platform_grant" IS 'A platform role (city auditor, platform admin, filing officer) held by a user of some unit.';
        CREATE TABLE IF NOT EXISTS "policy_change" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "domain" VARCHAR(64) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "policy_change" IS 'A domain whose permissions changed (publish, appointment filed, token issued or revoked).';
        CREATE TABLE IF NOT EXISTS "api_token" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(100) NOT NULL,
    "role" VARCHAR(64) NOT NULL,
    "prefix" VARCHAR(16) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "created_by" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ,
    "revoked_at" TIMESTAMPTZ,
    "revoked_by" VARCHAR(64),
    "last_used_at" TIMESTAMPTZ,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
);
CREATE INDEX IF NOT EXISTS "idx_api_token_tenant__d11f15" ON "api_token" ("tenant_id");
COMMENT ON TABLE "api_token" IS 'A machine client''s bearer token: one unit, one role, revocable. Only its sha256 is stored.';
        CREATE TABLE IF NOT EXISTS "appointment" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "post" VARCHAR(64) NOT NULL,
    "appointee" VARCHAR(64) NOT NULL,
    "data" JSONB NOT NULL,
    "flow_version" INT NOT NULL,
    "node" VARCHAR(64) NOT NULL,
    "state" VARCHAR(16) NOT NULL,
    "submitted_by" VARCHAR(64) NOT NULL,
    "history" JSONB NOT NULL,
    "lock_version" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "filed_at" TIMESTAMPTZ,
    "ended_at" TIMESTAMPTZ,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
);
CREATE INDEX IF NOT EXISTS "idx_appointment_state_8eec3a" ON "appointment" ("state");
CREATE INDEX IF NOT EXISTS "idx_appointment_tenant__63b63d" ON "appointment" ("tenant_id");
COMMENT ON TABLE "appointment" IS 'An appointment to a post that needs filing (备案): 系统管理员, 收发文员.';
        CREATE TABLE IF NOT EXISTS "audit_event" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "seq" INT NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "actor" VARCHAR(64) NOT NULL,
    "acting_for" VARCHAR(64),
    "object" VARCHAR(200) NOT NULL,
    "action" VARCHAR(64) NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "client" VARCHAR(64),
    "prev_hash" VARCHAR(64) NOT NULL,
    "hash" VARCHAR(64) NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT,
    CONSTRAINT "uid_audit_event_tenant__0a4e16" UNIQUE ("tenant_id", "seq")
);
CREATE INDEX IF NOT EXISTS "idx_audit_event_tenant__4079e1" ON "audit_event" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_audit_event_tenant__3636df" ON "audit_event" ("tenant_id", "at");
COMMENT ON TABLE "audit_event" IS 'One state-changing action, hash-chained per unit (tenants.audit).';
        ALTER TABLE "unit" ADD "access" JSONB;
        ALTER TABLE "app_user" ADD "password_changed_at" TIMESTAMPTZ;
        ALTER TABLE "app_user" ADD "session_epoch" INT NOT NULL DEFAULT 0;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "unit" DROP COLUMN "access";
        ALTER TABLE "app_user" DROP COLUMN "password_changed_at";
        ALTER TABLE "app_user" DROP COLUMN "session_epoch";
        DROP TABLE IF EXISTS "policy_change";
        DROP TABLE IF EXISTS "audit_event";
        DROP TABLE IF EXISTS "platform_grant";
        DROP TABLE IF EXISTS "api_token";
        DROP TABLE IF EXISTS "login_throttle";
        DROP TABLE IF EXISTS "appointment";"""


MODELS_STATE = (
    "eJztXVtz2zYW/isYvdSeUTy2bNlOsrMzduq23k3iTqJ2O607FESCElcUwBCgbU03/33PAU"
    "lJvEgmHUmWWbzoApxDgB9A4FzBv1oT4TBfHlwEXk+MGW+9IX+1OJ0w+FGoa5MWDYJ5DRYo"
    "OvA1MQ08S83IBlKF1FZQ4VJfMihymLRDL1CewEZaF2RC7ZHHGbF9j3H1nSQDRkMWEn2RN0"
    "RAVcQ91da/QuHDRUJ2J2xs8IDccH9KPCWJHNFO95R48EuJkDkH2L4jbOiAx4ebbwoYv0QM"
    "bn3I1IiF0OAff0Kxxx32wGT6Nxhbrsd8J4Ov5+AFdLmlpoEuu+bqB02IdzGwbOFHEz4nDq"
    "ZqJPiM2uMKS4eMs5AqhpdXYYRw88j3k6FJRyDu6Zwk7uICj8NcGvk4aMgdd2Be1rKsjzc9"
    "6/NVz7JahQFNORaAT4pswXEyQFelvvshduFV5+jk7OT8+PTkHEh0N2clZ1/jpufAxIwano"
    "+91lddTxWNKTTGc1D1dwHWdyMaluOa0ueQhS7nkU1xXAVtWjDHdj7/twHuhD5YPuNDNYK/"
    "R4eHK6D89eLTu58uPu0B1T42KeCBjR/lj0lVJ65DvOf44uNRB9+UvoH4np5UgPf0ZCm6WJ"
    "UFNwiZ6z3UgXfO0UCAj06rzN/T5dP3NA+wXvGtEZWjOiBnudYD9PMuwhuex3bIEAprMK0D"
    "c5argfN5c0BTVQT6e6hR3oStBjvmzIHtJKwH6Y+XCD3coIOyW/JsrYC+d/3h6nPv4sPP2N"
    "xEyi++xu+id4U1HV06zZXu5Zed2UXIf657PxH8S36/+Xil4RVSDUPd4pyu93sL+0QjJSwu"
    "7i3qLCwDaWmKWmbU2UPgwdWeMOpZzjWMetLdXRn0FzLIKSYrRxlVkPGTnu0spxnllzDK9b"
    "bKLNeTtsodG9NN75Q+lcqK5JOepzyveaJ2+YlSjFOurDLrygoRf5FpU6LnSxfx0ZLljkvN"
    "LjF+RcR/ECHzhvzfbKpxv4Y+Um6XWQQSa+Mv3CvYtHYf7a/pfEpL5+2H9H5m+8tOM7h5uG"
    "Wm9O1/gnn/6fpdr6VRHlB7fE9Dx8rAjTWiI3IlM9pi1aQzyZdQTocaHrwR7PbMyhsI6PeE"
    "6b6XGIHn1e3VduAs4eOWYE4WeIgShBJcEogaUUU4Y44krucD+mTvNuq+Pjy7jU7PT87335"
    "Db6Mx2B/DJHBc+B/QIPk8OT4HspHvehvrT7jH+O3aO8Pf5WVxTYiN+hk7c8lt+rUgYcQnN"
    "hCIajuCbkX4fnhHXtRY61O8T1xf3RLiaAo3V30kSRAPfkyPmkEHEHZ+91ZUJG2O3fCRg5H"
    "Whvpc9yh1tyEabnNwnAg3bAp7GuEnFoBlPwh+4U+b0+8a+vYP2bRzJWgbChN6YUyoIibNn"
    "pw7CGSYDcwWYcXIXEf7X55uP5Qin9Hm527MV+R+BNXBNEkMR5NY/3IjbiB+ssZ6vPC4PsN"
    "l/trYviCM+GRk8hXjvw8VvefTfvb+5zAvXeIHL3FDgtmLdsVBiP6uv1nm2x9ftlzDt17J0"
    "L7giQTqq5YpM6M0aUmEN0QJLHXRnDM3T7tbvJ5PRYOKp+i6cPJ+ZyhWm8sjDeJISnJfviA"
    "ssu7EpYnuN2RR9YY+fsCnm2ba3KR69kB3RuCuXQ91cd2UUOE8c9SynGfVdGfUSO3zS+wXN"
    "Ao1ITxjzRT7jaNmdAS4JQwAInzLCi3xmhHd5hI0rrWVcaVtGuwGutMjx1NXdMk/avLa90p"
    "GGdBa7q+xIu+GMaCPHK3tE+RB9VVRraW2CoatY6nHmkICF2oNE9mII5YFuar/oFfvmK6KL"
    "q99H2n6f2AJ1IwJ3FE6JQGcSiRcNgn6pfj8I2Z0V07a10wp/511eQOOJSF+Fq/YtlwK4CY"
    "PWmNMm8RxwiAgJKKUsxN+huCcDELPGsSdM95ncQ+uMQI9HMADweCzN5fhj4XGU7Evrz5zz"
    "a7EedrQ/aznDLr3h38Uf9rrTOT4+6xwen553T87OuueHM12yWLVKqby8/hH1yszi+rjXDI"
    "euAP9S7BNqY9QuUeHri3uNVd6aJOnBui7CWl7PlMGYeKs4lmHb5EPLrY3xApeJ8nwcZzH4"
    "bx2AgZzZTQ2P6FRK/+usSP/rFNP/Yvmv7iQutYc3AeP1z+ABg8e9xLG53Bc05/gmV9COrR"
    "Tb9vlQV7GSxXk57DMGg/rTUY8z8ussJ3MOsx9WSii+q53ummEyi3YVD35NhA24NcA1RuhN"
    "oWyM0M01Ql/qlIDvQxBTWiVW6MXq9iozdJxaYDkzykft0L25ufZehGO0GtsimL5JrLTEDR"
    "nzp21ij5g9RqutGjG+kMxAJaGEs3uShNIU7dIbaWGV8Tdv9TUpD9tMecCIAFlHNJ8xbD82"
    "rkGy+YBKZvFoMijTi5ZO6hzX9mzohzs9uzMJ317NwMJFFhNUmAc0DRKrF6mc5TKCeAVB3M"
    "TxLYe+uXF8Rv3a1LNl1K+mq1+/JskASxWwX+fZAo+qYAuZBdWCgWYKT5t4k0mkr5eqPBhX"
    "Q1MlKm6gPP6n7kXikB8tgff7ZJ6BnlCJe050JSphij0osmeLCea4Sx0GNGZTIkKHhfArUG"
    "0iBWEPgQjVLQ8FtPAKOhfI/bek34clTvh3mKiuG2Cuy2zl3THQBbnrDSOY7tjHe0+NoKVJ"
    "4MP0l2TCwiHezP3Is0eY7n4/onBxvEIYcdx+CK7lcW+wDlpyPNfVAUyTgEKrVWKFEgnYKI"
    "7PehZsXeXlOfSWncfXKOLPrIinC10d5Bd5DPjf4qEUHFZ1VduJluczGmaVMKkIQKoXIjXj"
    "MABXAHjCpASBtYhwD0SxcoQXWBoB8SrV/Oq33uoFZKaZv7/5+GNKnl9VTM5rs60mVXJejd"
    "VkU8uZsZo012ryXgw93huFQikNcMFqkiVor7Ka+EhqqUXaR60mP1BMPiYSJssrj0vQ+COu"
    "kgQnaut/2i6A/+NANAJLAqwasq3L0YqAp0C8EhEeHcimxKaRLLGsbLKhUsvEGKYkVo7Z1B"
    "glntUokY5E1U0hpW+E8JXdEM4r7AfnS7eD87xwi3O7DrCsqa6/o04VZIFq+YlQnQK6LixZ"
    "UVhm/1l+StwCiwkEKFrTQqmsBKMnHZRR5G+gkvBClIJKWXa4ZYNCh34Gv+5w53nNyRm7Nt"
    "IFzeR5hOiffapcEU5+DGn5CQRZgpVCdJCQWsMZbYVXO6Zc+qBpsmd7akr0iQAibM8rqTPx"
    "eDs9Vlu4rmezcJ+M4CbJYIqORQnSr3CJFJPYf1j2bseNtlUqSmvFAmv1q+2MMP2cwvRsLK"
    "oKfTOGBop96zcXm5c9bhBcvaTWjlvMchmgzUvyjAV+5yQw4Xv29B2emVRqxczUr5a/NKVl"
    "z0kriF+OmMRnHAnJ0II48SRGa0kSX8Yhe0lQVzvz0hN98GI7fik2AZYoPkgpedVYyfFQG2"
    "sJY8iu9DFRQShsJiUZMxZI/e4SDCB7R+UAmmUcZDuQ496SOAWeOMz2HOhcG092iqO4kiOf"
    "oDMSM37wpd/wL473wtd66Vd+AzV0z/cwNYg7wOkL5GUPALQ/BQ68vfheJdkLYZIcxH5nED"
    "b3N/GWFHMwFNZt42CoeFTrbMBzDrP5VgnpMOdFmc12k5ut9tWWbLKpD3f55hqlFBX21CEe"
    "Xsj17oVsb/TGEjtSDwg2JUlsaAC4GCO3UZcdduCrc/Qav7rHAxc/j+m87ISdHt1Gr2Fpw4"
    "MLAxqqOAw64hj+zKg9Kttyn68ja97jlq+w64x/aOBr1lfEO9NJvRfOJPQN3Mg2cviVBJFP"
    "WXVRznI179SabhWku8uB7hZw9tkdK/GPrLDqpQwNnMlrdpLbgMOw9G0zK2KZF3gMwo8hHH"
    "sXAL56b//KsTUQ5061JXnFipyHmj3Eur2VinI5NVoIn1FejneBN4f4AJg3BfmsZLte1Mub"
    "m/cZheLyOh/A/MuHy6tPe0d6DIDIUxk9ehF5kDmdWslACyzmnVWZYVhHnsosT/MJL64q5T"
    "UBO4Wjr220RdaZ8nMOc0jkN6RgGf/N38SklFnQaMhqZ1BkmJqnam08gyLGr4j4pjIodgzt"
    "qhkUmWm2UxkUv0htmStaQ2Wc177ifTNBYEUpVZUgLxAV0uMVKJ9lLXhcu9R0CBXp93W8Tb"
    "+PBy3EgwyEoZCxYy4NzyqN61rz5ddsvfy7uOcaG7nVQMOwMQRvxTo5d5HUchtnuIxoUuHc"
    "Z0/Viz6cMTQP3fXP4gAQqoXujKF56B53KqB73FmKLlbl0KVS3gsQ5mqfvZ9nbOCSvBHfnC"
    "ctqo//qmkGzvBt0QScihsv1gIsmY71s1gg7JIpvuLlejk+Y2jMQztbBJIwyidYvpZcwiSN"
    "7VrSmDF0VnvEmmvoNEfFFEUEc1TMVlbNF3xUzAULPXvUKjF1JjXtlcbOOc1jps7lmBqT4m"
    "6ZFJc6vpcvo8v93Y1QtLrdKopWt7tc0cK6nBccHqoaCCfkDUT3qJIae7RCjT0qqrHJsaFF"
    "hJcHGSywmJNea4YZPGsOw9f/A3Agihw="
)
