from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "absence" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "login" VARCHAR(64) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "start_at" TIMESTAMP NOT NULL,
    "end_at" TIMESTAMP NOT NULL,
    "substitute" VARCHAR(64),
    "handover" TEXT,
    "record_id" BIGINT,
    "state" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* An absence in force (离岗登记, approved): while it lasts, the person's post tasks go to B. */;
CREATE INDEX IF NOT EXISTS "idx_absence_tenant__760315" ON "absence" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_absence_tenant__c61e28" ON "absence" ("tenant_id", "login", "end_at");
        CREATE TABLE IF NOT EXISTS "delegation" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "login" VARCHAR(64) NOT NULL,
    "to_login" VARCHAR(64) NOT NULL,
    "post" VARCHAR(64),
    "start_at" TIMESTAMP NOT NULL,
    "end_at" TIMESTAMP NOT NULL,
    "reason" TEXT,
    "created_by" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "revoked_at" TIMESTAMP,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* 委托: ``login`` hands the tasks of ``post`` (all of their tasks when None) to ``to_login`` for a period. */;
CREATE INDEX IF NOT EXISTS "idx_delegation_tenant__0d2bcd" ON "delegation" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_delegation_tenant__ac932a" ON "delegation" ("tenant_id", "login", "end_at");
        CREATE TABLE IF NOT EXISTS "flow_instance" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "flow" VARCHAR(64) NOT NULL,
    "flow_version" INT NOT NULL,
    "form" VARCHAR(64) NOT NULL,
    "record_id" BIGINT NOT NULL,
    "title" VARCHAR(300) NOT NULL,
    "state" VARCHAR(16) NOT NULL,
    "started_by" VARCHAR(64) NOT NULL,
    "started_at" TIMESTAMP NOT NULL,
    "ended_at" TIMESTAMP,
    "end_reason" TEXT,
    "deadline" TIMESTAMP,
    "joins" JSON NOT NULL,
    "parent_task_id" BIGINT,
    "lock_version" INT NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* One run of a flow over one record (runtime.flows). */;
CREATE INDEX IF NOT EXISTS "idx_flow_instan_record__a260b5" ON "flow_instance" ("record_id");
CREATE INDEX IF NOT EXISTS "idx_flow_instan_tenant__61f661" ON "flow_instance" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_flow_instan_tenant__9f9612" ON "flow_instance" ("tenant_id", "started_by", "started_at");
        CREATE TABLE IF NOT EXISTS "notification" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "login" VARCHAR(64) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "task_id" BIGINT,
    "instance_id" BIGINT,
    "message" TEXT NOT NULL,
    "message_en" TEXT NOT NULL,
    "dedup" VARCHAR(128) UNIQUE,
    "created_at" TIMESTAMP NOT NULL,
    "read_at" TIMESTAMP,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* A message in someone's in-app notification list: reminders, escalations, urges, new tasks. */;
CREATE INDEX IF NOT EXISTS "idx_notificatio_tenant__1cf57d" ON "notification" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_notificatio_tenant__17eb44" ON "notification" ("tenant_id", "login", "read_at", "id");
        CREATE TABLE IF NOT EXISTS "task" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "instance_id" BIGINT NOT NULL,
    "record_id" BIGINT NOT NULL,
    "flow" VARCHAR(64) NOT NULL,
    "node" VARCHAR(64) NOT NULL,
    "node_name" VARCHAR(200) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "round" INT NOT NULL,
    "seq" INT NOT NULL,
    "state" VARCHAR(16) NOT NULL,
    "blocking" INT NOT NULL,
    "assignee" VARCHAR(64) NOT NULL,
    "post" VARCHAR(64),
    "acting_for" VARCHAR(64),
    "origin_id" BIGINT,
    "outcome" VARCHAR(32),
    "opinion" TEXT,
    "title" VARCHAR(300) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "completed_at" TIMESTAMP,
    "completed_by" VARCHAR(64),
    "deadline" TIMESTAMP,
    "deadline_note" TEXT,
    "warn_at" TIMESTAMP,
    "due_at" TIMESTAMP,
    "warned_at" TIMESTAMP,
    "due_sent_at" TIMESTAMP,
    "overdue_sent_at" TIMESTAMP,
    "lock_version" INT NOT NULL,
    "tenant_id" VARCHAR(64) NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT
) /* One piece of work for one person at one node of an instance (待办, then 已办). */;
CREATE INDEX IF NOT EXISTS "idx_task_instanc_bce396" ON "task" ("instance_id");
CREATE INDEX IF NOT EXISTS "idx_task_tenant__022afc" ON "task" ("tenant_id");
CREATE INDEX IF NOT EXISTS "idx_task_tenant__dba4b3" ON "task" ("tenant_id", "assignee", "state", "created_at");
CREATE INDEX IF NOT EXISTS "idx_task_tenant__c78bef" ON "task" ("tenant_id", "acting_for", "state");
CREATE INDEX IF NOT EXISTS "idx_task_tenant__1ce79b" ON "task" ("tenant_id", "completed_by", "completed_at");
CREATE INDEX IF NOT EXISTS "idx_task_state_20c6e1" ON "task" ("state", "warn_at");
CREATE INDEX IF NOT EXISTS "idx_task_state_0ffcd2" ON "task" ("state", "due_at");
CREATE INDEX IF NOT EXISTS "idx_task_state_0d1560" ON "task" ("state", "deadline");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "flow_instance";
        DROP TABLE IF EXISTS "delegation";
        DROP TABLE IF EXISTS "notification";
        DROP TABLE IF EXISTS "task";
        DROP TABLE IF EXISTS "absence";"""


MODELS_STATE = (
    "eJztXetz2za2/1cw/lJ7RvHYsmU7zs7OJGnazd426bTe7s6udiSIhCSuKIIFQCu6e/u/33"
    "PAh0iKlElFD4rFF1skcADw4HXww3n892zObebKy7cjyTyLnT2S/555dI4/8kkdckZ9f5WA"
    "LxQduTovTWUaSSWopeD1mLqSwSubSUs4vnK4h5nfeiTKTxyPjLmAH+f94P71aNQPetbre/"
    "h9dw+/H0ajqw6BWgV/ZvbFI1lMHReIFHGpVLJD1JQRnwnJvW8k8blURFE5k2TCieLk3SW2"
    "x+YWNMjxJoetuu/1vb8LRynmkdFSZx8Oo7oHgk0cqZgYDgkbj5mlCB/rLIHnKCgvbuPY5Q"
    "syFnyuE+PWEMEsLmz9dUDwW8AGik8YZBHwjf/6N7x2PJt9YRIf/3UGTaCewtwunzge/mCe"
    "PaDq7N+Y158Nxg5z7UznOzZm0+8Haunrd++cyUdPfafzImNHA4u7wdxb5feXasq9hMAJa5"
    "0wjwmqGNagRIAjwgtcNxo78SAJv2SVJfyEFI3NxjRwcVwhddiA1buzweDT56fBLx+eBoOz"
    "tTEXU6TGQvTK4h6OV2iq1AyYYBNeve52b27uu1c3dw+92/v73sPVA7IP09aT7n8PG7PiVl"
    "iU5tnH7z9+esIGcZgU4WTBF79rGqpoSKV7asX9pJ+yHfB+SkUx+xOCXA/Ap+V7IOb3pi6I"
    "X6z6YDWVD9EJc/pl4DJvoqbweHe7gb+/vv35/V/e/nx+d3uRZfKnKKWrk5DdK/bO4LvqcD"
    "fO30LmXt9VYO71XSlzMSnLXKmoULi4rDH4W2CScuasmMlpuhyj7YjwMv5xgmzfwOanjz9+"
    "+OXp7Y8/YfFzKX9zNbfePn3AlK5+u8y9Pc93SVII+fvHp78QfCT//Pzpg2YnbE8ToWtc5X"
    "v65xm2iQaKDzy+GFA7zZP4dfwq08XR7lGzg1dUpnsb3b0yABHOUYFidRbJLNVWS2W00Tel"
    "T/e9DU2pZ4M8J9a5/MS+lMhZaZo28HjTvPnwj6fMlIl5ef7j239cZKbND58/fR9nT/H+/Q"
    "+f3+V4HorOg7ribYbsZSm3+Xw/pJybkQ1qLioxweFErzM4uzrP7OxExS9LMGTIFvtzlrKF"
    "ezTMYmp/9txlNB1PZM+OVo6NW3Z4xC9c1sonV4ZoXxPsoIf3PWzYiJCMZ4Wn9BWukuX4d1"
    "wwZ+L9D1tqvn+ENtIIHMtxOYLY/uY5VbaQhnH793g8xW9X9Qu6SDCl7DCDj4dPZkp//s8w"
    "7H/++B52CeTyiFqzBYVdNsNuTOFdnnuT5F1Pmnfn+TfUoxPNHvwQbHYMbfrOE58x76wI9o"
    "zTOhtxT98ZqCTby8gnmVNr6niMWK7DPIT6RowKJogu5JFwL8QAO/qX4C4UItgzt7DCS4KL"
    "F3GUJHJKu7074sAvBaPNLkA691rVy7BjLWTxjwIrdq9v728fbu5uEykrebNJuHoZMNT/ay"
    "z9cf42IlpXV1VkqqurcqEK03LHBpgedfgb528hf3d/DvYFGztf6rB3RdFCBu/+TKBX/MGU"
    "ymkt8TBDtRtGH3cR3vM4jg9Qo2UdNmepWjie98doc8b9I51x2RffgdK2uXnIUO6g1xsG5p"
    "1IJ1e6fMAjyGyruZ2lNL18Cr1cb6vMUrXh+mPfOyUqKw0CudV8ytOaGdXkGWUQ4H3NJ4MA"
    "txkB9jm0e8502wtA4FVyZzMOnM1YSQd2RYMqozTSIp1SRTzGbEnGjgvcR/3U3uur+35w93"
    "D7cPFI+sG9NR7BX2aP4e+IXsPf26s7yHbbe+hA+l3vBp9u7Gv8/XAfphRrwx66EagX+1ER"
    "EXgSqhE8mEwj5ViYI+PxINWg4TBUgM3qxvrByHXklNlkFHi2y97EurFIxljfm3Lo+VA/F7"
    "/lnHq2BrIRk5MXhCOwzVG7VlepGFTjSHiAL2X2cGjw7Qbi29iTtQDCKL+BUyoIicncqcPh"
    "DJFhcwU24+Be5/Bff/n8qZjDcf683O1YivwfgTVwRxJDgQrMn8aBZyH/YI11XOV48hKr/f"
    "PZ4QVx5E9GBl/TAssrfOWEaywgrwWG28rgmQmJ7ay+WufJtlIEa9yw38nSnbqKBOmo1lVk"
    "lN+sIRXWkOYp0B3vdLcH04VgNEeLrbq4VJ7ODOUq2s8O6pMU8Ll8R0yRNGNTxPpasym63J"
    "ptsSnmyQ63KV6fyI5orivLWd3e68rAt7fs9Syl6fWm9HoBDh+1PnWyQBBpiz5P05mLluZ0"
    "cIEaArBwS/NH08Mn0cPmKu3MXKUdmNstuEpTilrT0pu0VWpn40VaNl+Ve7TAdzmFtRWvqt"
    "ijvuoZLRWTcBp8ZgQ4CjxTr2D+wxIhIVsAHSz0/RAirGTMXXw+Hy0jU4eLwouy/dSy43sm"
    "46EF0w7hoSXsxFogUUJhdoeX0SFj0JIwt9vrVeAu5Cplr07LQZ3O/xbwd9P6EVO06dLjwO"
    "bv0S4R8q7G4M7TtXCQ78VqK96za8L5ObIWctuYZBi0axcYZ4O9qbRVJDUwhYEpDEzxFTBF"
    "YDvqw3MZTLFK7WyEKTDfgD1Xxik+e4xoXYxX1pR6E1SppfoyuUPQwhbfOh6z0aWsVnQl5y"
    "EL5aWuqgCT+OoSURN3OMS8wyGx0KmYJPBFYkk4YhEkXDQIqs8Oh75gz4Mwb+j7Fn/nNXMh"
    "j8MDXYqnOn1PcqAmDGpjdoeEY8AmXBDHk0zgb8EXZAT74yxU2NVtJguoXbvanUIHwPQodT"
    "mRdm0r2W+hO9sS17fG221zsRToujX2l59Dw9xtOobuTNOgvvTdWqn7RKTsShdSsK7zAi+R"
    "G5SzYwJzdq2i/w7bpjcZjGvzOEVljFFf5jMf/acOgyE7s9pqxdGthHd1N+Bd3XW8K5T/6g"
    "7iQrW9NvB49yN4xGC6F0C35SqrK4qv0lht2EpxaNVUOlZFbpLL2Z4QGK5vz/XQcWCti4qE"
    "wuyHlfyePdf2ypUhMot2JTfr9ThsmFuDuQaE3heXDQjdXhD6nfZc8K0AMeWsAIVOJ3c2wd"
    "ChB4SBneR8EYd+WsG1Cy5miBpb3F8+RigtGQvG3GWHWFNmzRC1VVPmpXwuUEko8diCRBY/"
    "67j0XmrYBP7mUV/jmeGQnhlQHVLWEc0TgsOb8LVINh9RyQZeMB8VnYtKB3WO6nAY+lWjR3"
    "fGL51T0/4xTWJsH/MMjW3Z6mpgpamMIF5BEDfmhuWsP00FrCrmhub4ta+5ZY5fbT9+/Rr5"
    "LCg9gP26cmrw4hEs5QChmjJQcuDpEGc+D3R58ZEH9WpofIgKKyjW/6lbSKjyoyXw4ZCsHO"
    "VFufjC0+ZNEg9hin1R5NziczTGkloNaMaWhAu0Y5oxX3WI5IR98blQfU9wqOEVNM6XF2/I"
    "cAhLHHef0Z+eriCMch1ZSo2dSQDDHdu4cNQUapr7LkVbqjkTE/yYxdSxpuiVbzGlUDiWIA"
    "IPtx+Ca3nYGkyDmmxnPNYKTHOfQq1VdIUiCdgcHI8asqbu4eUY55bG89ccxI98EI8Xujqc"
    "T9MY5n/NDWVkGFX3iidPZ06YVdSkAmBSPRWphMIwuAKD50xKEFjXOVweDjpF0goWbzqa7y"
    "MctDFbKx/tp4mamGi5BjVpIrdPHzV5T2Gw2FR8S5dnBZhJOrmzCTGxoowDO8pZCS+BzLG5"
    "kaexA+qSuKQOGfPQ18piyl3Iy3yXLxG3eEzuoDW9IB5XnQg9WBZjKvuoCHGXXxjT7mMEn0"
    "cBD3R4XsniwodD4kNHAfPJOZTuQEEh0NEPHqyrm35wO76+JnM6Y68CP12dvMBsfQ8v2DUC"
    "pLUfscPlmxUEhOAO1BlVdrmkcxdqRLMv4QC/EUBhhHtEcf+SvEWvNSyMA+FI/Ji+50DaFB"
    "7COuAHD5QEUv01kXOcuPhHqNeG/cPFAMQqtOeSRLAxxhPqEA/tzMgk0K5yvtYRTjSM1jfv"
    "4nU8yr5px95mdTkqVrNh6cb99gUkBsZRrZ0wzt8KiTO7Cz5U2AQfSvfAh6N6sWm09myvir"
    "lDr9zaobdm7CB5IKx6vtATisON3LPcIn92EG7fdCtw+6Zbym1MMtfL7T4olV0vr4nwx5E2"
    "vwW5d0JVyQVdKnWjrGln870oaWKUK/u2H9x1ew+PIC65fOJ4eFUGAlZ4VaaonEkUEIdDZD"
    "aknVPXjSRGR0TpC9Rp/MQ9doFRtYZDYHFcFEqQFK3yHW6vS6DHaMDLslf68kwXgz9gPRsY"
    "q/rGWtUn/VR1e0wIWijX7cHwIZpQtSCkFI1hchULqUOGfWu0/LyXUEJCbSHPpelaKM2drv"
    "S2jnNHO3TNDl5Rme5tdPfCuUMWqaqXXxeuKNqwQh7rsrCeLnuWymz7xpnoHxBsqOZM9JnP"
    "tur1LKUJrtLkTcvcve9rBTV37+29e//O5Yukdwrw0Ex6ZxMiqmMYO+msla7fRRAZFCC9vj"
    "UmHF9rT87kPNLOv8RUWeKstF4RkalCKuLycIh3yAiBhtYMiaHDYsolC0vF6/IxF+ENO1Y4"
    "Y8yXBIt20aMonG1kR/sn7Xv6ljwxf0hsKSLz87B1l2Q4/A8HdsXmEh3tT9Wngroucwmmhf"
    "5QHc/ic7yQZ/aESbRZoOjA9JkRKoTzzGyi788ZsQIhmKeItph4oyHeVQBNqEYy4VBoCTTE"
    "ZpY2LZX6Xl5XEvbbFrCtPrYnYmj8ZPDbxuK3OJ7r7JFxfnPCqHDCMAHg92iIAutvrYEb5T"
    "cDt8LAPVrEhYaJdEcKueAot5bKSUJwQI2Ts4MM7ZtKDkxvNjgwvVl3YKr92dfhb0JwQP6C"
    "WOkhnw7C5uu7Cly+zh/oU1GR7grvfWqjmFkqs1RXvWDbCs/KUrYQxWwToGXiQf8BenhQ/6"
    "4tS2Xu2+rft8UGBHVnVprOzKwmzywNra13b7nlfEJweLP5sz+NA0+7yyejwHEVNOQSq/3z"
    "vgTBQxvTo/sUDDJK5az2+XKddk9h/Y6BjBz4kJnGg2tgU3ky44vQBEw0V4/H5vbpXz3+gB"
    "rLT1PBlXIL7x6zGTqbLh+19vNApfO+ePv4HXVcZhMJg+UV7LnE4oGnoriG1NJP+toPn8P4"
    "EwQkENjnZGh/G1qnWrNXPFD4sCQWDWSBQ7V9VlTokCy2o5yxpfFFdlRfZMYCdl8WsDi26z"
    "CWtRVfvO5W4SzkKodyu2vcHcOSFYgit2/lV5gpEuP/e92JnpBqEPFoC1CviN7gt43GIHDL"
    "ZvZAqwjV7e48rUGbmtbTDbFm/sSVM3asUnvmTPpGEdrL53xRgH5LIi9xqIEm+Zxxj30j4e"
    "EV1ELS5Wn87JEINsfRJlBTTlrU1WnwEIgJkx0dm0UbGa+L0PurKlQHtJkd+MOhdoKDeno4"
    "p8Q3MimGODab+1xphzwoj0uqXQZHqbHzHv0Wy43leQkNcmTfWwhHATHhcBIlU77Qbmr4GF"
    "9R7XEHH6MyFoz5BNZ7aIijvsaOGjX6o60C5HWjjtdMdTxjTr3Xy3JzAtujysdWkL7B8neA"
    "5ccK27W5nyM0PbBtDxinuge/t4/4N2C19CWyVC3Qlzy8ugQIx3X20IRgJ8opx5UR94+1Ga"
    "PkrUb6KYAEOacK25kgU6PMdwr9a5QA1tdLowRwkPlzwkoAP7lUoZ3W94Lq1q8BmNkMnU0I"
    "ph9lHUySvBUwzJiKCHS8fW45akloYDuKi84qkdpzNMgdOy6a4vLx2LGYuCBT+EgyWqIzbK"
    "kRPQ1OarvfIhBzr3UVqgKswECo0SgDHFUZwCB9+7Vg5PVM6OL8hrkVmKuX1NrGXVkqw2jj"
    "osq4qIq51pQb5J+461hLmMOe3v7WBbB0+mb5S+ccWKusFcQvm8+hgyNXKz4Tc0eGnknCYm"
    "xyHvlP6RComcNYwKgoOpqs3SGKzxjesMoAcnJBIoddBY5i9lYTXiB/eGZiSXzBLSZl5BrG"
    "UWFolPdUjqBa5oFsB3LcGzJi8ItpHyw2NK6D7mPC4LPai4tujIw8xSh4CsPUulQq7dYGck"
    "PzXAeagZfMgmGEFEnYF2C0uwQK/LzwWyU5FzBILsNweSBsXnxtSBRzVXzMq+KwV2shsQmF"
    "2XyrRKKsvemazdZstjU225+1u5SibTZK2bjBilWeSr7VYOuCvesV7D6IK4SKS7i4YBR2NN"
    "QjvhtEu44e0FIrT4WxwSSjwprqjYgVhJPYbfGRTzbEbtZ8smUCzSeu2bQbttDB2wKqi2Rf"
    "yGwz8aj3Xg2lnEuoZE47fU8Erlb80rG+4SMuom0a99Il4iyKpwtFT26kkiO3UuglhU1Gjo"
    "hCD2xrKExR1mxwG1Tf6pCifIkfGKPh1dht2/it2qfDtdSiUQOzzJMZh2vGK9XhvVKF+0EN"
    "Bq8o2uD3I6dcUYnF1xtYfF3s+CsoMGPa7PkrKLJi2ucgtgXIGgcayTsP4Ycb3zqHy31txP"
    "mNq43MgWkXrjZMJIkDiR2xfF6P0Vkqw2hzH2IgmphrhdPLRIVtS68X6NBFrTcOioyDopPd"
    "qoxuYnt1E39hwMeSuChJWmcTYC/TuV6E7J/ia94QpEaUOUarCcLXZIJRP3igwlghGpNGLH"
    "3GluQcAS3UGYQv65Alo+ICvocDiS87a+j93mrqeyOmnRPpa2r7GQe2jAOUhNbRgnqShmcw"
    "KtOQuw5sorQBNr4NW1QFXjdujo6t2Wic8USbSrcShtXdgGF11zGsZ+oGBTBs6ahN8hs3PE"
    "YQMoLQsbl9+oLQE5WzIiFIv98oAKk4RyV9Bd9hFkPDBvSIop2qoMJb5EaFhupvHlSio715"
    "SdAyct4PeuOHHvztvmY6appH4MEed8NXJXHj9lddqM+gA7ENh5EkE0k1UN43kqAA9Bz6pC"
    "HnFCQgFQgP1QopcTn3iQ7UEOkZhAHdLt5oeu20BhrU93SIO0xZxaWLCkdHkyC1TSDVx8be"
    "jq9pP7gf3UNj+8Fd9/pu9XQ7fm3Du1H3+gJD0nHhoCNNx17pX1h87uNAtHXdfS/Un4wkuF"
    "jvQk0dqfl1vnDU1IZxjd8x01oYIArqshEsWBWLT8kXoQ5H34ucXmJxPPR8ORxiPd5kAMUA"
    "qaYLuwd/Uqm/lCG3PFuLmVjd+Tv97y0UQXAOTaCF2CXD4QiRAigubIUeiDorsqF71Q9e31"
    "314kh/ERclcdlYkSg0y0ojxBHh0PApNngLLz1x4/F3EmwmBVnm9D1WfFgR5LIkHRXBy6vn"
    "uLikHlgSvPW3dsAKXsY+7412STO1S47qCaRhW+1xPIE0OXTaMfRPDsx+E89yj9dvuMnVYW"
    "6c3zC3InMH+qEmhxOiFrJ5LxCK8QK3Ry9w+hRSA59K8puLuvxeJtlvNRgZ5TYw3xobTyHc"
    "J/dDj2SnOOXjk3SBxMu5y6hXzOY0WY7TI6DbF6vjI8hhFfzeff78A5acKF68+5h3tva3H9"
    "99AM5rxkMmR5WIuGmwoOqQTtO0cBvbvTSGiFQdBsf526eJvQfDygx8VXkIZ6gMn1/mc4Lf"
    "1oMiMmTGJey2SAQPlMXrneZSJO0b37s3NeC+4xUqB5a7f02RtIHDm9Q99+H81diA7dcGzO"
    "i3bzXUm63ZvK7QnrmMq9vROVrjB/Y0erqmEVaOrg2b1b7FXRPIve2zKe4pyFCE6JWLfWuE"
    "bZhPhxb+Yj2RmtMrRWZmV6NnV7BNLMoVlendJvcuTsOtBM4MoenjJvcxzkXJPLXlNE6Rmn"
    "5ucj/zZya+oq8LyE1/N7m/jSm0sQA6sYO5sQBqrwWQ5nuBBVDcH+UWQEGco4Iv8AluU572"
    "uo1koUfRkCmXBKuKvHpS4B5jaHPDrrrwr3v9Gv/1bkZj/HtDV+9u2d11P3jdu73vEJv5VG"
    "in3jJ0FEoYtaZFrsKP15Ad++YuX9J2uZY1KELfrjDGcnuL2vq6RlW3lqqunHKhamtFZ6na"
    "gPVlWd2rwuleOaN7a3x22TOr5XsyIWjhSK4S1rM8qOd6SE/gw4SLevc/KRrD4Zc4HEZFA/"
    "bVM0/JkbWQz91qS/KGFTnPavYljEkyiEW5Ggq/a7QH1PpN3pys2i/7AjKnXeC9tty3aoqk"
    "Ge5Vsb7WuFeNIwDYW0AzhbTGdGNN1d3CGEp1hvyK4qtGfMPEv0MPbaOHVj7ET9PjZhU/qz"
    "4VrDYamiFq31Fr72hoyL/DoaEN43ZVNDQzzJqFhkqNzK2jofi+swkNhZRBEOeqEpw69HaD"
    "TnXQBRFsdTzwFHq6QWc7OvQzGQ51nODQqU3YyZBRcBk52onCShfGo95x8TtGL/8oHmRaG3"
    "G6hcCwAYIPgk6urkjqsDhLZUSTlwfxgc17Gs3d3Y9iHzhUi7sJQfu4u3tjQPS9t0AXWlMq"
    "p/UOMDnCFi7Je7mbc+RAe64sGNMbYeAMnXH8UB0BlkzHKB8wn1sFQ3yDZ5gcnQEa86xNFo"
    "Eo/PsWyFdJEUazssmalQboLJ9i7QU6jdrnuohg1D4PsmqesNrnWyYca3pWAHVGKZ2NYOcq"
    "z0tQZzlPDaTYLEix9OK7fBktv+9uxUGr16ty0Or1yg9amJa7BYdJVYPDUfYWcncvQaGhRl"
    "WILJYrGaRIDq9Xc+JqBmsSwiE3s9//HxjFcAM="
)
