from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "unit" (
    "id" VARCHAR(64) NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "short_name" VARCHAR(50),
    "level" VARCHAR(8) NOT NULL,
    "category" VARCHAR(8) NOT NULL,
    "office_code" VARCHAR(20) NOT NULL,
    "exchange_unit" BOOL NOT NULL,
    "extends" JSONB NOT NULL,
    "published_version" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "parent_id" VARCHAR(64) REFERENCES "unit" ("id") ON DELETE RESTRICT
);
COMMENT ON TABLE "unit" IS 'A government unit: the tenant. Units form a tree 市 → 县区 → 乡镇, departments under each.';
CREATE TABLE IF NOT EXISTS "bundle_draft" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "files" JSONB NOT NULL,
    "base_number" INT NOT NULL,
    "revision" INT NOT NULL,
    "updated_by" VARCHAR(64) NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT,
    CONSTRAINT "uid_bundle_draf_tenant__822c49" UNIQUE ("tenant_id")
);
CREATE INDEX IF NOT EXISTS "idx_bundle_draf_tenant__822c49" ON "bundle_draft" ("tenant_id");
COMMENT ON TABLE "bundle_draft" IS 'The unit''s working copy: edited freely, checked, then published as a new version.';
CREATE TABLE IF NOT EXISTS "bundle_version" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "number" INT NOT NULL,
    "files" JSONB NOT NULL,
    "resolved" JSONB NOT NULL,
    "content_hash" VARCHAR(64) NOT NULL,
    "author" VARCHAR(64) NOT NULL,
    "message" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT,
    CONSTRAINT "uid_bundle_vers_tenant__47301e" UNIQUE ("tenant_id", "number")
);
CREATE INDEX IF NOT EXISTS "idx_bundle_vers_tenant__2a9dfc" ON "bundle_version" ("tenant_id");
COMMENT ON TABLE "bundle_version" IS 'One published, immutable version of a unit''s bundle.';
CREATE TABLE IF NOT EXISTS "app_user" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "login" VARCHAR(64) NOT NULL UNIQUE,
    "name" VARCHAR(50) NOT NULL,
    "department" VARCHAR(64),
    "title" VARCHAR(50),
    "phone" VARCHAR(32),
    "password_hash" VARCHAR(200) NOT NULL,
    "is_active" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
);
CREATE INDEX IF NOT EXISTS "idx_app_user_tenant__14a412" ON "app_user" ("tenant_id");
COMMENT ON TABLE "app_user" IS 'A person with an account in one unit. ``login`` is unique across the platform.';
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztm+9P2zgYx/8Vq2+OSR2ihTK2O50EjN1xN+iJdbtpY0rdxGksEjuLHUq143+/x07TNL"
    "/aZtBSqrwBaj+P7XzsuM/ztfnR8LhFXLF7EjLLJW8DbMvGG/SjwbBH4I+i6iZqYN9PKlWB"
    "xANX2w+0oWFNLQdCBthUjdrYFQSKLCLMgPqScqY8eg5BIaPyF4FGPLihbIhM7o/fIGJRSS"
    "xkB4S44yYyHWLeEKuJpEMY8sOBS4UD9VggjBgZoVsSCGhzV3VrcRP6hbZW1gM0+D0khuRD"
    "AuYB9PP1a0MShplsfPsGBpRZ5I4IVaE++jeGTYlrpehSSzWlyw059nXZOZPvtKF6jIFhcj"
    "f0WGLsj6XD2dSaMo15SBgJMDwMlMkgVJhZ6LqTWYnJR2NOTKIhzvhYxMahqyZLeUcDSMoa"
    "hnHZ7RkfznqG0chNZOwxQ35SZHKmFgEMVeinH6ohvGy3Dl4dHO0fHhyBiR7mtOTVfdR1Ai"
    "Zy1Hgue417XY8ljiw04wSqTV0i8lz/+tC9LAY7dciwtagp0X8IVkGOcUx0HuS4IKGcvAFr"
    "wDyHoUKhWvaE+O6qgstPx1enfx5f7Vwcf36haji8s9ELfXn6vnui4XAhh4FuRTdwoqchwT"
    "7Aghgs9AbwMiy/qDNei1f3Y5Hf2+jVnWANyC1Vm04FprMu6wPaeiZAQ99ST24Mxnmkpw4O"
    "ipmmvTJUYbjPcINoePjOcAkbSgc+Hh7MoRhvD4cH2d1hUtPWVcWgscyDfgs1knpkPuzIM7"
    "srT1x34z+eI/qAYKvL3PHkq3cO+t75xdmH3vHFP6kN++1x70zVtHXpOFO6c5iZpmkj6N/z"
    "3p9IfURfupdn2X19atf70lBjwqHkBuMjA1uzjOLiZPTJrEchkFEU2ZS/XSmnVb1ca41xVv"
    "BuqSjSvikMeSZxZ474Ox4QOmR/k7Hmfg5jxMwkBZQncf5HCJOfH+37eD3FpUn/AR5N4+70"
    "MoOHh0cmUj/+FSz7q/NT+K5QlAfYvBnhwDJSuFUNb/NMydQ2X+W1vWwJZnio8agHUcNO5V"
    "efovyiUZqAxQbNJVKw2xnbhUlYl5Ek4Wki6nmhbi9OeRC3IQeaJFFRB/k862cauWbXrN/X"
    "EXi/jxwOsFT6FVvxEUO6UiVhktxJtGNyzyMw8QgzC92QMeKBRQL4y5dNJDgidz4P5DULOP"
    "TwEgbnixe/on4ftjju3hILulEdENsmpqS3BHJBZtNhCMtdjXFEpQM9eb4Ly18gjwRD9TAj"
    "h5oOopBBOhgaVy0EIVNfP0jt5dFoVB30ZFHbhl5goD6GXhemi/rd0hFwnTg+ZeJYOXl5ir"
    "xl4/nWifgTJ+LxRleF/KxPDf8B8KF72NWl4WDhVImAs351hrlEhgl5iMMLNuxyzIlHDXgJ"
    "wB4RAgLWPOEehGLFhGdctgLxvNT87HNv/gYyzczfdy//iM2zu0pmA4Fw8udUk7RnrZpsim"
    "oyCZFnRBNNrVZNatWkVk0epJpo7gViSTwf5RpJGFssVEaO0ZDfkoApzUGrEm+0fBBB2UWq"
    "K4FsHngIAz1C0HXYIXtt+NVuvVa/OvsDW/3cx0nZATlsXYevOwevmsgiPg5kJGmETEkZBJ"
    "tOXl15yoEUqBcPUSrKt7TH3MueVqtYSWQ2R7vAXkGYVg46tt+KGC0Nu723twRtsCrFrevS"
    "YZmAtEEaVSmnvX6K9WTRbibqzjKkO+WgOznOLrklbhXEU4ctXMlHS9A9KoV7lGVrAochDy"
    "qde8/61IQXEea2TU0C+KxK20TGbQs5t5fbkufsyFnU5M50MBsSIw7l0rBPOHcJZsW8c74Z"
    "4gNwXhXyacl6tYqTbvd9Khc+Oc+KER8vTs6udlp6DsCIRjF+XtYndxBzWpWE/RmX9avLjd"
    "/skJn6cG8QUldSJnZVf7831j8NK9Gcp2eus2e+Sx5hFfrWt/Cya75W5cpRb68qp47vK6ty"
    "KaftC/lXrspF/Nanym0Y7WVVudQy2yxVTmiFKK/KieiuRLkqBzVGGFstocz58JUVX9nBDG"
    "HT5CGTiDLEWXSFaBf1+y4fUtbvq8s70SSDYcBFdM9IXfNRolmR3vbYzT+yilbf93ngfR89"
    "c5W0htihFigXHh3XguQKVbJEqq+COO1VhyaLF7Gk0q20iqcO20f38VexD4Qq0Z06bB/d/f"
    "YSdPfbpXRVVYYuFmLEIZirehUt57iFW/JKzoioMLC+Ul5Rjkz5rVGKjMONZ6tE1qpM+XLf"
    "XlWmviu1qtCnviu1vXeljklATadRoMtMappzlZnEZpEuU8601j82S/8oPS0q30bLD4m2Ii"
    "rsdJaJCjud8qhQ1WX+SQFeqgqEJ+ZbSLe1VMzdmhNzt/Ix9+T/ZqocRs+41P/qVPHYORch"
    "rPPL7P5/Knjzqg=="
)
