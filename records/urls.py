from api.base_views import ApiRouter
from records.views import records, schema

router = ApiRouter()
router.register("api/objects", schema.ObjectViewSet, basename="object")
router.register("api/objects/<str:object_name>/fields", schema.FieldViewSet, basename="field")
router.register("api/records/<str:object_name>", records.RecordViewSet, basename="record")

urlpatterns = router.urls
