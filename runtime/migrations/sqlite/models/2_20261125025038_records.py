from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "attachment" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "sha256" VARCHAR(64) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "size" BIGINT NOT NULL,
    "content_type" VARCHAR(100) NOT NULL,
    "uploaded_by" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "record_id" BIGINT,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* An uploaded file: its bytes live content-addressed under the data folder (by sha256). */;
CREATE INDEX IF NOT EXISTS "idx_attachment_sha256_dec712" ON "attachment" ("sha256");
CREATE INDEX IF NOT EXISTS "idx_attachment_record__e0492d" ON "attachment" ("record_id");
CREATE INDEX IF NOT EXISTS "idx_attachment_tenant__d0fe55" ON "attachment" ("tenant_id");
        CREATE TABLE IF NOT EXISTS "record" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "form" VARCHAR(64) NOT NULL,
    "form_version" INT NOT NULL,
    "title" VARCHAR(300) NOT NULL,
    "serial" VARCHAR(100),
    "status" VARCHAR(32) NOT NULL,
    "data" JSON NOT NULL,
    "created_by" VARCHAR(64) NOT NULL,
    "updated_by" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "lock_version" INT NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT,
    CONSTRAINT "uid_record_tenant__428410" UNIQUE ("tenant_id", "form", "serial")
) /* One filled-in form: the data as JSON plus the columns lists and searches need. */;
CREATE INDEX IF NOT EXISTS "idx_record_tenant__af824a" ON "record" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_record_tenant__31b558" ON "record" ("tenant_id", "form", "updated_at");
CREATE INDEX IF NOT EXISTS "idx_record_tenant__9f8129" ON "record" ("tenant_id", "form", "title");
        CREATE TABLE IF NOT EXISTS "sequence" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "key" VARCHAR(200) NOT NULL,
    "value" INT NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT,
    CONSTRAINT "uid_sequence_tenant__ecde82" UNIQUE ("tenant_id", "key")
) /* The last number a numbering rule gave out, per unit and key (form, field, year): no gaps, */;
CREATE INDEX IF NOT EXISTS "idx_sequence_tenant__a23273" ON "sequence" ("tenant_id");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "record";
        DROP TABLE IF EXISTS "attachment";
        DROP TABLE IF EXISTS "sequence";"""


MODELS_STATE = (
    "eJztXW1z2zYS/isYfak9o3hs2bKd9OZm7NRtc5fEncTtdVp3KIiEJJ4oQCVA27pe/vvtgi"
    "/iq0w6kizz8MUvxC4BPgCBxbOL5V+dmXCYJw8u5u6NmDLeeUP+6nA6Y/BHoaxLOnQ+X5bg"
    "BUWHnhamc9dSidhQKp/aCgpG1JMMLjlM2r47V67ASjoXZEbticsZsT2XcfWNJENGfeYTfZ"
    "M3REBRwF3V1X/5woOb+OxO2FjhAbnm3oK4ShI5ob3+KXHhLyV85hxg/Y6woQEuH2++KlD8"
    "M2Dw6GOmJsyHCn//Ay673GEPTMb/zqfWyGWek8HXdfAG+rqlFnN97R1X32tBfIqhZQsvmP"
    "Gl8HyhJoIn0i5XeHXMOPOpYnh75QcINw88L+qauAfCli5FwiamdBw2ooGHnYbaYQOW1zqW"
    "9fH6xvp8dWNZnUKHxhop4KNLtuA4GKCpUj/9GJvwqnd0cnZyfnx6cg4iupnJlbMvYdVLYE"
    "JFDc/Hm84XXU4VDSU0xktQ9e8CrG8n1C/HNZbPIQtNziMb47gK2vjCEtvl+N8GuDP6YHmM"
    "j9UE/j06PFwB5S8Xn97+ePFpD6T2sUoBL2z4Kn+MinphGeK9xBdfjyb4xvItxPf0pAa8py"
    "eV6GJRFty5z0buQxN4lxotBPjotM74Pa0evqd5gPWMb02onDQBOau1HqCfdxLe8Di2fYZQ"
    "WMNFE5izWi0cz5sDmqoi0N9BiXJnbDXYoWYObCdSPYj/eInQwwM6aLtF79YK6G/efbj6fH"
    "Px4Sesbibln57G7+LmCkt6+uoid3UvP+0kNyH/enfzI8F/yW/XH680vEKqsa9rXMrd/NbB"
    "NtFACYuLe4s6qWkgvhqjlul19jB34W5P6PWs5hp6PWrurnT6C+nkGJOVvYxbkOmT3u2spu"
    "nll9DLzZbKrNaTlsod69NNr5QelcoK5JPep7yueaN2+Y1SjFOurDJ2ZYWJn1balOn50k18"
    "ZLJG01LaJcSviPj3wmfumP+TLTTu76CNlNtljEDENv7M3QKntftof4nHU3x1Wb9P7xPuLz"
    "vM4OHhkZnSj/8Jxv2nd29vOhrlIbWn99R3rAzcWCJ6InclkS0WzXqz/BXK6VjDgw+CzU5Y"
    "3rmAds+YbnsJCbws7q7mgbOCjzPBnKR0iBKEEpwSiJpQRThjjiQj1wP0yd5t0H99eHYbnJ"
    "6fnO+/IbfBmT0awk/mjODnkB7Bz5PDUxA76Z93ofy0f4z/HTtH+Pf5WVhSwhE/QyNu+S1/"
    "p4gfcAnV+CIYT+A3I4MBvCOjkZVq0GBARp64J2KkJZCs/kaSeTD0XDlhDhkG3PHYt7owUm"
    "Pslk8E9Ly+qJ9lj3JHE9nIycl9IpDYFvA2hlUqBtW4Ev6BJ2XOYGD47R3kt7EnGxGEkbyh"
    "U2oYicm70wThjJKBuQbMOLiLCP/j8/XHcoRj+bzd7dqK/JfAHLgmi6EIcudvo4DbiB/Msa"
    "6nXC4PsNq/d7ZviCM+GRs8hnjvw8WvefTfvr++zBvXeIPLXFfgsmLdMV9iO+vP1nm1x+ft"
    "lzDs1zJ1p1yRYB01ckVG8mYOqTGHaIOlCbqJQvt2d+v3k8lgOHNVcxdOXs8M5RpDeeJiPE"
    "kJztUrYkplNxZFrK81i6In7OkTFsW82vYWxaMXsiIad2U11O11VwZz54m9ntU0vb4rvV7C"
    "w0etT+0skER6Qp+n9YyjZXc6uCQMASB8Sg+n9UwP73IPG1dax7jStox2C1xpSlF7UulJW5"
    "Z2VzrSsnJ1/GjB3BMU5lZ0VbE32tUzXCgmYTd4xwggCpipV/D+wxQhQSyADva1fwgZVjIS"
    "Hv6/N1xERx32Sx1lm6llzX6mS3f8/+Jqet3rHR+f9Q6PT8/7J2dn/fPDZJtWLFq1X7t89w"
    "Nu2TLz1uMOqbATG5FEiYZZHR5nh8yBlgTcXr9fA12QqoRXl+WoTvc/Jfiumj9ijTY5PbYy"
    "iaSIoHCVCLFrMLjzei0c5Bs5tRWv2Q3p/JxaC9E2RzIM27UOjtNntoB9Q1NTNKP2pPXkcf"
    "ajrSapoSkMTWFoiq+gKQLHVVd3VTTFsrS7kqZAOYvd1eYprjkjOhbjlT2hfIwhtVQ7k7sE"
    "T9jiVZczh8yZrwNdyV4IoTzQVZVwEl99R4zEHQxQdjAgtkAXLoEn8hdEIBdBwkmDYPjsYD"
    "D32Z0VynY1q4F/5yNzQcYVgb4LV91bLgVoEwa1MadLwjHgEOETl0vm49++uCdDWB+nYcCu"
    "bjO5h9oZgRZPoAPg9ahMOfF76nWU7M/OHznuJF0O5sUfhkvZTS4Fuq4Af/U+NJRu0zZ0bZ"
    "EGza3v1lrdL8TKruWQgnld+E2svETB7F3rxL/DssnH1qgxxiktcxj1cZzF8N9NAAZxZrf1"
    "FEevFt/VW8F39Yp8V2j/NR3EpWF7bcB4/SN4yOB1L6Fuq0NWlxpfFbG6YzPFtkNT6Uixks"
    "m5GvZEwaD+dNTDxIGNHBWJhlkPa+U9u2uclSujZCbtOgcNGiJswG0AriGhN4WyIaHbS0Jf"
    "6swF3/lgpnRKWOh0cXcVDR1mQLCcRPJRHvpmSdfeC3+KrLEt5os3EUtLRj5j3qJL7Amzp8"
    "jaqgnjqZwLVBJKOLsn0YmfIi+9kRpWkb951tdkZthmZgYMh5RNTPNEYftH+Fpkmw+pZBYP"
    "ZsOyfVHloM5pbY9DP9zp0Z3JS+c2PP+YVjFnH/OAxmfZmkZgpbWMIV7DEDfHDauhf5kBWH"
    "WOG5rt16beLbP9avv265coZ0HlBuyXZVKDR7dgqQQI9YKBkg1Pl7izWaDvF295MK6Gxpuo"
    "sILy+J+mNwlDfrQFPhiQZaK8SErcc328SeImTLEHRfZsMcPDWFKHAU3ZgggfzzFN2Vx1iR"
    "SEPcyFr265L6CGV9C4udz/lgwGMMUJ7w7z6ekK2GjEbBWdlBq54wCGO7bx3lUTqGk29yie"
    "pZoxf4wPcz9x7Qlm5bufULg53sEPOC4/BOfysDVYBjU57mikA5hmcwq11okViixgs3F81k"
    "/WNN28PMe+ZefxNRvxZ96IxxNdE+TTOgb8r/FQRgejmrp48npmh1knTCoAkJqFSCUaBuAa"
    "AM+YlGCwFhG+AVOsHOGUSisgXrU1v/r1ZvUEkuzM319//CEWz88q5thau1mTOsfWDGuyqe"
    "nMsCbtZU3ei7HLbya+UEoDXGBNsgLdVayJh6KWSss+ypp8TzFHGpEwWF65XMKOP+AqOuBE"
    "bf2f5gXw/zAQjUTpWLr6OrIImKzylQjwCwdsQWwayBJmZZMVlTITUxiSWDhlC0NKPCspEf"
    "dE3UUhlm+F8ZVdEM5rrAfnlcvBed64xbHdBFjWVtffUa8OsiBVnemiV0B3BFNW4JfxP9XJ"
    "7FMqJhCgyKb5UlkRRk/K51nUb+Em4YVsCmqdssMlGzZ06GfwmnZ3Xtck+Ny1ni7sTJ7HiP"
    "7Jo2ok/NkPPi3PQJAVWGlEzyNRa5zIPp4vkcRa+ntYZM921YLojADC7y4LqTNzeTf++pcY"
    "jVyb+ftkAg9Jhgt0LEqwfsWISDEL/YclWRM3W1epKa03FliKNRpj+lmN6aQv6hp9iUILzb"
    "7108V6hDdAN5Y34NYAV0+pjeMWs1oGaJM4zjDwO2eBCc+1F28xZ1Ipi5kpX21/aUnLXorW"
    "ML8cMQtzHAnJkEGcuRKjtSQJb+OQvSioq5v5Nqv+PkSXKDFlnIBKECZSir6IXpayelM1YQ"
    "zZlU4TNfeFzaQkU8bmUmfExgCyt1QOoVrGwbYDO+5bEh6BJw6zXQca18XMTmEUV5TyCRoj"
    "8cSPzpdNeRjvhV8fJ4LrPFDQPM/Fo0HcAU1MzikJewCgvQVo4OOFzyrJng+D5CD0O4OxaZ"
    "Jsv+jEUGGvNlmAlxpm8a0T0mHyRZnFdpOL7Sed6bVsmY1KVi6w/lKmVkw1LF2wdr2C1Qd5"
    "hTfLry9QSTB8jMy9IFp19ICWOs4ujCaWjPr2RC9EUcLBQrT1+m4fxWEjdxNFa4cfIU/FYo"
    "cR20kwtw6B1nCQe6gusn3Dr0yEX6PQVMqehEpmtHvL/cBjskvCoFl4iP1omca1dIE8ixLp"
    "m2LKRqKzpiSNSKLLowO5yMHwFV7MlIMfmoK/JdRMvZVpGWPR1CEkkC6TUK6KGR2zVO/cUh"
    "33Ut2FOpY3y3SNZTo9UTTx8OXUTNh8WRZtVzWj0RKF7Q3dTmcrA/e4Vk664xU56Y6LOemi"
    "NaABwEuN9iWR2shnLjALdFDi+l/9VfCgzPO/yUGcZCnZwkju1RnIvepx3MtjjAtfEeHqIx"
    "6x/G58pxqrbc13qmPetxk1n9UyZkeDlAImd4PxgRhaxnwg3PT6GjJ2YKTYE/ZyeTWTach8"
    "Dskc6nlutF/+oZ7PDHDEnimh6JOy7iqSXqalauWf1K7dkJhGZjlmqAlS1mRM7xgRgeouP1"
    "wUpx7ZQ0IL4wThybpkwai/D88jQGUuuwXGfmM13fIh0wd6tGvaucOBLYkbcvQSIIQhQLkM"
    "U+vrTCpLml1hzhJFpyy8GraoDqVujgY9dzSjOcCyyU9X3FEvKKFhK0dtIm+OrhhDyBhCz4"
    "32yzeENO4lRlDcH9UGUBBL1Ij+G+NnFrmOs0O1MIYgBOWAYFWRH58CeoyR26DPDnvwq3f0"
    "Gn/1j4cj/HlMl9dO2OnRbfC6f3KGn1icU1+FCdt0aABh1J6UBQc+X0PWHI1XPaWtcy57Xs"
    "tmI/TjisxsdNbIIxrLG1unnq0jJ8JXVlOUs1rtc4326yDdrwa6X8DZY3eskec5UWjhSF7z"
    "cX4bcBgLv5kLLqVjEH4M4fAcJMDnNJomcmotxLlXb0peMSPnoWYP4SkEKzblclGEQniM8n"
    "K8C7o5xIegvCnIkyvb9epfXl+/z3hbLt/lU639/OHy6tPeke4DEHJDG7+4V2UPYHM6jdKW"
    "plR2I7gC62tNcEWSUfoJPqpSXcPPFD7SbeOpqSZDfqlhPmf59XFDJsqiLf72OlEWmBS+MR"
    "uaUWrfVmvjbGiI3/bY0B1Duy4bmhlmu8WGSs3MFdlQGWbgr2ZDocQKYqk66WjAVIg/BEF5"
    "kl/R5frwr072QgYDnRkkPCMVdjII+kKGXtQ4kUxpBpo1337N7KXxyr7wHDMtJIYNEbwVdn"
    "LpImkCcVbLmCaPD+ItH/DaaXTXP4rngFAjdBOF9qG7/lNHcyrlvQBjrukHTgqKLZySN+Kb"
    "c6VF9YfKGtLAGb0tUsCxufFiGWDJdFYii82FXTLEKw3kgp4hGvPQJpNAlPDpCcxXxS1Met"
    "vdOWFSpLwM0Vn9irWX6DRhn0UTwYR9bmXWfMFhnxfMd+1Jp4TqjEq6K8nOpcxjVGc1poZS"
    "3C1KsdLxXT2NVvu7W7HR6vfrbLT6/eqNFpblvODwUjVAOBJvIbobSQkTfeC0iHB1kEFKxX"
    "yTtmGYQcFC2OZi9uV/FSdQUA=="
)
