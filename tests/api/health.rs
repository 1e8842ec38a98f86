use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn healthz_and_readyz_answer_without_login() {
    let app = spawn_app().await;

    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
}
