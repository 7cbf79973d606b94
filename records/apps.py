from django.apps import AppConfig

MERGE_FEATURE = "merge"


class RecordsConfig(AppConfig):
    name = "records"

    def ready(self) -> None:
        from api.experimental import register_feature

        register_feature(
            MERGE_FEATURE,
            "POST /api/records/{object}/{id}/merge: merge another record into this one "
            '({"from": "<id>"}): links move to it, its empty fields are filled, the other '
            "record is deleted.",
        )
